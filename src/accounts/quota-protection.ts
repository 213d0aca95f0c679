/**
 * Quota protection (accounts-tokens-pool.md §7.6): which model groups of an account are held back because their
 * remaining quota is under the threshold. The pool enforces it; the quota refresher stores it; views show it.
 */
import type { GatewayConfig } from '../config/gateway-config.ts';
import { normalizeModelKey } from '../pool/model-key.ts';
import type { QuotaProtectionSettings } from '../pool/settings.ts';
import type { Account } from '../store/account-schema.ts';

/** For callers without a valid configuration: the account states do not depend on protection. */
export const noQuotaProtection: QuotaProtectionSettings = Object.freeze({
  enabled: false,
  thresholdPercentage: 0,
  monitoredModels: [],
});

/** The protection settings of a configuration. */
export function quotaProtectionFrom(config: GatewayConfig): QuotaProtectionSettings {
  return {
    enabled: config.quota.protectionEnabled,
    thresholdPercentage: config.quota.protectionThresholdPercentage,
    monitoredModels: config.quota.protectionMonitoredModels,
  };
}

/**
 * Monitored model keys whose best remaining quota is under the threshold; the stored list when there is no
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
