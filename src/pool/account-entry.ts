/**
 * The pool's in-memory record of one usable account. Everything the hot path needs lives here, so selecting and
 * leasing never touch the disk.
 */
import type { Account } from '../store/account-schema.ts';
import { normalizeModelKey } from './model-key.ts';
import type { CooldownReason } from './ports.ts';

export interface Cooldown {
  readonly untilMs: number;
  readonly reason: CooldownReason;
  readonly message?: string;
  /** Verification URL of a validation block. */
  readonly url?: string;
}

export interface FailureCount {
  count: number;
  lastAtMs: number;
}

export interface PoolEntry {
  readonly id: string;
  email: string;
  refreshToken: string;
  accessToken: string;
  /** Epoch milliseconds when the access token runs out. */
  expiresAtMs: number;
  oauthClientKey: string | undefined;
  /** The account's own outbound proxy URL (`proxy_url`, issue 18); undefined: the global/environment proxy. */
  proxyUrl: string | undefined;
  projectId: string | undefined;
  /** The file's `agw_error` while no project is known: the account shows as project-unresolved until resolved. */
  projectError: string | undefined;
  tier: string | undefined;
  /** 0 ultra, 1 pro, 2 free, 3 unknown: the strict priority of quota-aware selection. */
  tierRank: number;
  /** Normalised model key → best remaining percentage in the last quota snapshot. */
  quotaByModel: Map<string, number>;
  protectedModels: Set<string>;
  /** Bumped whenever the credentials are replaced, so a refresh started before that is dropped. */
  generation: number;
  /** Set once the account left the pool; leases in progress notice it after their awaits. */
  removed: boolean;
  refreshFlight: Promise<void> | undefined;
  /** The background write of the last refreshed token; the next refresh waits for it (writes stay in order). */
  tokenWrite: Promise<void> | undefined;
  projectFlight: Promise<string> | undefined;
  /** Account-wide block (server errors, refresh failing, project unresolved, validation). */
  accountBlock: Cooldown | undefined;
  /** Normalised model key → cooldown. */
  modelCooldowns: Map<string, Cooldown>;
  failures: Map<string, FailureCount>;
  /** The credentials this pool replaced last, so a reload that read the file just before our write is ignored. */
  superseded: { readonly refreshToken: string; readonly accessToken: string } | undefined;
  /** Position in the roster's order array (swap-remove). */
  slot: number;
}

/** Tier rank from `quota.subscription_tier` (accounts-tokens-pool.md §6.4 step 3). */
export function tierRankOf(tier: string | null | undefined): number {
  const lower = (tier ?? '').toLowerCase();
  if (lower.includes('ultra')) return 0;
  if (lower.includes('pro')) return 1;
  if (lower.includes('free')) return 2;
  return 3;
}

/** Best remaining percentage per normalised model key. */
export function quotaByModelOf(account: Account): Map<string, number> {
  const result = new Map<string, number>();
  for (const model of account.quota?.models ?? []) {
    // Unknown remaining quota: the account ranks as if it had no data for the model (neutral).
    if (model.percentage_unknown === true) continue;
    const key = normalizeModelKey(model.name);
    result.set(key, Math.max(result.get(key) ?? Number.NEGATIVE_INFINITY, model.percentage));
  }
  return result;
}

/** A fresh entry for an account the pool has not held before. */
export function createEntry(account: Account, protectedModels: Set<string>): PoolEntry {
  const token = account.token;
  return {
    id: account.id,
    email: account.email,
    refreshToken: token.refresh_token,
    accessToken: token.access_token,
    expiresAtMs: token.expiry_timestamp * 1_000,
    oauthClientKey: token.oauth_client_key ?? undefined,
    proxyUrl: account.proxy_url ? account.proxy_url : undefined,
    projectId: token.project_id ? token.project_id : undefined,
    projectError: undefined,
    tier: account.quota?.subscription_tier ?? undefined,
    tierRank: tierRankOf(account.quota?.subscription_tier),
    quotaByModel: quotaByModelOf(account),
    protectedModels,
    generation: 0,
    removed: false,
    refreshFlight: undefined,
    tokenWrite: undefined,
    projectFlight: undefined,
    accountBlock: undefined,
    modelCooldowns: new Map(),
    failures: new Map(),
    superseded: undefined,
    slot: -1,
  };
}

/** Counts consecutive failures of one kind; a failure more than an hour after the last one starts over. */
export function bumpFailure(entry: PoolEntry, key: string, nowMs: number): number {
  const previous = entry.failures.get(key);
  const count = previous !== undefined && nowMs - previous.lastAtMs <= 3_600_000 ? previous.count + 1 : 1;
  entry.failures.set(key, { count, lastAtMs: nowMs });
  return count;
}
