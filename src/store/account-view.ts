/**
 * The AccountView of docs/api.md: the account file's state, joined with the running pool's live state when there
 * is one (cooldowns, refresh failures), secrets masked. The admin API, its event stream and the CLI's JSON output
 * all show accounts this way.
 */
import { maskSecret } from '../telemetry/redaction.ts';
import type { Account } from './account-schema.ts';
import { storedAccountStatus } from './account-status.ts';

/** What the pool knows about an account right now (src/pool/status.ts's AccountStatus fits). */
export interface LiveAccountStatus {
  readonly state: string;
  readonly reason?: string;
  readonly untilMs?: number;
  readonly url?: string;
  readonly tier?: string;
  readonly cooldowns: ReadonlyArray<{ readonly model: string; readonly untilMs: number; readonly reason: string }>;
}

/** The quota part of a view: models with percentages and resets, and the buckets. */
export function quotaView(account: Account): Record<string, unknown> | null {
  if (!account.quota) return null;
  return {
    last_updated: account.quota.last_updated,
    tier: account.quota.subscription_tier ?? null,
    models: account.quota.models.map((model) => ({
      name: model.name,
      // null: Google reported no remaining fraction (unknown, not 0 %).
      percentage: model.percentage_unknown === true ? null : model.percentage,
      reset_time: model.reset_time,
    })),
    groups: account.quota.quota_groups ?? [],
  };
}

export type AccountViewState =
  | 'active'
  | 'cooling'
  | 'disabled'
  | 'proxy-disabled'
  | 'validation-blocked'
  | 'forbidden'
  | 'project-unresolved'
  | 'refresh-failing';

export function accountView(
  account: Account,
  live: LiveAccountStatus | undefined,
  nowMs: number,
): Record<string, unknown> {
  const stored = storedAccountStatus(account, Math.floor(nowMs / 1000));
  let state: AccountViewState = stored.state;
  let error: string | null = stored.state === 'project-unresolved' ? (stored.reason ?? null) : null;
  if (stored.state === 'active' && live !== undefined) {
    if (live.state === 'cooling') state = 'cooling';
    else if (
      live.state === 'refresh-failing' ||
      live.state === 'project-unresolved' ||
      live.state === 'validation-blocked'
    ) {
      state = live.state;
      error = live.reason ?? null;
    }
  }
  return {
    id: account.id,
    email: account.email,
    name: account.name ?? null,
    state,
    disabled: account.disabled,
    disabled_reason: account.disabled_reason ?? null,
    disabled_at: account.disabled_at ?? null,
    proxy_disabled: account.proxy_disabled,
    proxy_disabled_reason: account.proxy_disabled_reason ?? null,
    proxy_disabled_at: account.proxy_disabled_at ?? null,
    validation_blocked: state === 'validation-blocked',
    validation_blocked_until:
      account.validation_blocked_until ?? (live?.untilMs ? Math.floor(live.untilMs / 1000) : null),
    validation_url: account.validation_url ?? live?.url ?? null,
    error,
    tier: account.quota?.subscription_tier ?? live?.tier ?? null,
    protected_models: account.protected_models ?? [],
    cooldowns: (live?.cooldowns ?? []).map((cooldown) => ({
      model: cooldown.model,
      until: Math.ceil(cooldown.untilMs / 1000),
      reason: cooldown.reason,
    })),
    quota: quotaView(account),
    refresh_token: maskSecret(account.token.refresh_token),
    created_at: account.created_at,
    last_used: account.last_used,
  };
}
