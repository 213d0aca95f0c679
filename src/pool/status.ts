/** Per-account state for the admin API, the CLI and metrics, in the words of src/accounts/account-state.ts. */
import type { AccountState } from '../accounts/account-state.ts';
import type { PoolEntry } from './account-entry.ts';
import type { PoolContext } from './context.ts';
import { accountWaitMs, modelWaitMs } from './cooldowns.ts';
import type { CooldownReason } from './ports.ts';
import type { Roster } from './roster.ts';

export interface ModelCooldownStatus {
  readonly model: string;
  readonly untilMs: number;
  readonly reason: CooldownReason;
}

export interface AccountStatus {
  readonly id: string;
  readonly email: string;
  readonly state: AccountState;
  readonly reason?: string;
  /** Epoch ms: end of the account-wide block or validation block. */
  readonly untilMs?: number;
  /** Epoch ms: when the account was disabled. */
  readonly atMs?: number;
  readonly url?: string;
  /** Model cooldowns in force (a usable account may still be cooling for some models). */
  readonly cooldowns: readonly ModelCooldownStatus[];
  readonly protectedModels: readonly string[];
  readonly tier?: string;
}

const blockStates: Partial<Record<CooldownReason, AccountState>> = {
  REFRESH_FAILED: 'refresh-failing',
  PROJECT_UNRESOLVED: 'project-unresolved',
  VALIDATION_REQUIRED: 'validation-blocked',
};

function liveStatus(context: PoolContext, entry: PoolEntry, nowMs: number): AccountStatus {
  const cooldowns: ModelCooldownStatus[] = [];
  for (const [model, cooldown] of [...entry.modelCooldowns]) {
    if (modelWaitMs(context, entry, model, nowMs) > 0)
      cooldowns.push({ model, untilMs: cooldown.untilMs, reason: cooldown.reason });
  }
  const common = {
    id: entry.id,
    email: entry.email,
    cooldowns,
    protectedModels: context.settings.quotaProtection.enabled ? [...entry.protectedModels] : [],
    ...(entry.tier === undefined ? {} : { tier: entry.tier }),
  };
  const block = accountWaitMs(context, entry, nowMs) > 0 ? entry.accountBlock : undefined;
  if (block !== undefined) {
    return {
      ...common,
      state: blockStates[block.reason] ?? 'cooling',
      reason: block.message ?? block.reason,
      untilMs: block.untilMs,
      ...(block.url === undefined ? {} : { url: block.url }),
    };
  }
  // The file's missing project counts until this run resolves one (projectId is set at once, the file later).
  if (entry.projectId === undefined && entry.projectError !== undefined)
    return { ...common, state: 'project-unresolved', reason: entry.projectError };
  return { ...common, state: cooldowns.length > 0 ? 'cooling' : 'active' };
}

/** Every account the pool knows, live ones first. Walks the whole pool: for admin use, not the hot path. */
export function poolStatus(context: PoolContext, roster: Roster): AccountStatus[] {
  const nowMs = context.clock.now();
  const result: AccountStatus[] = roster.order.map((entry) => liveStatus(context, entry, nowMs));
  for (const excluded of roster.excluded.values()) {
    if (roster.byId.has(excluded.id)) continue;
    result.push({
      id: excluded.id,
      email: excluded.email,
      state: excluded.state,
      cooldowns: [],
      protectedModels: [],
      ...(excluded.reason === undefined ? {} : { reason: excluded.reason }),
      ...(excluded.atMs === undefined ? {} : { atMs: excluded.atMs }),
      ...(excluded.untilMs === undefined ? {} : { untilMs: excluded.untilMs }),
      ...(excluded.url === undefined ? {} : { url: excluded.url }),
    });
  }
  return result;
}
