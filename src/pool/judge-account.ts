/**
 * The load rules for one account file, in the seed story's order: `disabled` first, then quota protection, then
 * `proxy_disabled`; then `quota.is_forbidden`; then the validation block (an expired one is cleared).
 */
import type { Account } from '../store/account-schema.ts';
import { normalizeModelKey } from './model-key.ts';
import type { ExcludedAccount } from './roster.ts';
import type { QuotaProtectionSettings } from './settings.ts';

export type Judgement =
  | { readonly usable: false; readonly excluded: ExcludedAccount }
  | {
      readonly usable: true;
      readonly protectedModels: Set<string>;
      /** The file carries a validation block that has run out: clear it in the store. */
      readonly validationExpired: boolean;
      /** A validation block still running: the account is held back until it ends, then used again. */
      readonly validationBlock?: { readonly untilMs: number; readonly reason: string; readonly url?: string };
    };

/**
 * Monitored model keys whose best remaining quota is under the threshold (§7.6); the stored list when there is no
 * data. A model whose reset time has passed counts as full again, so protection lifts at the reset even before
 * the next quota refresh.
 */
export function protectedModelsOf(account: Account, protection: QuotaProtectionSettings, nowMs: number): Set<string> {
  const models = account.quota?.models ?? [];
  if (models.length === 0) return new Set((account.protected_models ?? []).map(normalizeModelKey));
  const best = new Map<string, number>();
  for (const model of models) {
    // An unknown remaining quota never protects a model (issue 16).
    if (model.percentage_unknown === true) continue;
    const key = normalizeModelKey(model.name);
    const resetMs = model.reset_time ? Date.parse(model.reset_time) : Number.NaN;
    const percentage = Number.isFinite(resetMs) && resetMs <= nowMs ? 100 : model.percentage;
    best.set(key, Math.max(best.get(key) ?? Number.NEGATIVE_INFINITY, percentage));
  }
  const result = new Set<string>();
  for (const monitored of protection.monitoredModels) {
    const key = normalizeModelKey(monitored);
    // A monitored group the snapshot does not list counts as full (reference rule).
    if ((best.get(key) ?? 100) < protection.thresholdPercentage) result.add(key);
  }
  return result;
}

/** Decides whether the pool may use `account` and with which protected models. */
export function judgeAccount(account: Account, protection: QuotaProtectionSettings, nowMs: number): Judgement {
  const base = { id: account.id, email: account.email };
  if (account.disabled) {
    return {
      usable: false,
      excluded: {
        ...base,
        state: 'disabled',
        ...(account.disabled_reason ? { reason: account.disabled_reason } : {}),
        ...(account.disabled_at ? { atMs: account.disabled_at * 1_000 } : {}),
      },
    };
  }
  const protectedModels = protectedModelsOf(account, protection, nowMs);
  // The legacy whole-account protection flag is now expressed per model, so it no longer excludes the account.
  if (account.proxy_disabled && account.proxy_disabled_reason !== 'quota_protection') {
    return {
      usable: false,
      excluded: {
        ...base,
        state: 'proxy-disabled',
        ...(account.proxy_disabled_reason ? { reason: account.proxy_disabled_reason } : {}),
        ...(account.proxy_disabled_at ? { atMs: account.proxy_disabled_at * 1_000 } : {}),
      },
    };
  }
  if (account.quota?.is_forbidden === true) {
    return {
      usable: false,
      excluded: {
        ...base,
        state: 'forbidden',
        ...(account.quota.forbidden_reason ? { reason: account.quota.forbidden_reason } : {}),
      },
    };
  }
  let validationExpired = false;
  if (account.validation_blocked) {
    const untilMs = (account.validation_blocked_until ?? 0) * 1_000;
    if (nowMs < untilMs) {
      const validationBlock = {
        untilMs,
        reason: account.validation_blocked_reason ?? 'VALIDATION_REQUIRED',
        ...(account.validation_url ? { url: account.validation_url } : {}),
      };
      return { usable: true, protectedModels, validationExpired: false, validationBlock };
    }
    validationExpired = true;
  }
  return { usable: true, protectedModels, validationExpired };
}
