/**
 * The state of an account as its file records it, in the words the CLI, the admin API and the console use.
 * The two switches of the seed story stay distinct: `disabled` (hard, e.g. invalid_grant) and `proxy-disabled`
 * (manual or forbidden). Runtime-only facts (cooldowns) come from the pool and are layered on top by callers.
 */
import type { Account } from './account-schema.ts';

export type StoredAccountState =
  | 'active'
  | 'disabled'
  | 'proxy-disabled'
  | 'validation-blocked'
  | 'forbidden'
  | 'project-unresolved';

export interface StoredAccountStatus {
  state: StoredAccountState;
  /** Why the account is not active; undefined when it is. */
  reason: string | undefined;
  /** Unix seconds the state began (disabled / proxy-disabled) or ends (validation block). */
  since: number | undefined;
  until: number | undefined;
  /** Quota-protected model families (the account is usable for other models). */
  protectedModels: string[];
}

/** Judged in the pool's load order: disabled first, then validation, forbidden, proxy switch, project. */
export function storedAccountStatus(account: Account, nowSeconds: number): StoredAccountStatus {
  const protectedModels = [...(account.protected_models ?? [])];
  const base = { protectedModels, since: undefined, until: undefined };
  if (account.disabled) {
    return {
      ...base,
      state: 'disabled',
      reason: account.disabled_reason ?? 'disabled',
      since: account.disabled_at ?? undefined,
    };
  }
  const blockedUntil = account.validation_blocked_until ?? 0;
  if (account.validation_blocked && blockedUntil > nowSeconds) {
    return {
      ...base,
      state: 'validation-blocked',
      reason: account.validation_url
        ? `verify the account at ${account.validation_url}`
        : (account.validation_blocked_reason ?? 'validation required'),
      until: blockedUntil,
    };
  }
  if (account.quota?.is_forbidden) {
    return { ...base, state: 'forbidden', reason: account.quota.forbidden_reason ?? 'Google answered 403 Forbidden' };
  }
  if (account.proxy_disabled) {
    return {
      ...base,
      state: 'proxy-disabled',
      reason: account.proxy_disabled_reason ?? 'disabled for the proxy',
      since: account.proxy_disabled_at ?? undefined,
    };
  }
  if (account.agw_error) return { ...base, state: 'project-unresolved', reason: account.agw_error };
  return { ...base, state: 'active', reason: undefined };
}

/** One line per account for tables: the lowest remaining percentage among its models, and how many there are. */
export function quotaSummary(account: Account): string {
  const models = (account.quota?.models ?? []).filter((model) => model.percentage_unknown !== true);
  if (models.length === 0) return account.quota?.models.length ? 'quota unknown' : 'no quota data';
  const lowest = models.reduce((minimum, model) => (model.percentage < minimum.percentage ? model : minimum));
  const tier = account.quota?.subscription_tier ? `${account.quota.subscription_tier}, ` : '';
  return `${tier}${models.length} models, lowest ${lowest.name} ${lowest.percentage}%`;
}
