/**
 * The AccountView of docs/api.md: the account file judged by {@link judgeAccount}, joined with the running pool's
 * live state when there is one (cooldowns, refresh failures), secrets masked. The admin API, its event stream and
 * the CLI's JSON output all show accounts this way, so they agree on every account file.
 */
import type { QuotaProtectionSettings } from '../pool/settings.ts';
import type { Account } from '../store/account-schema.ts';
import { maskSecret } from '../telemetry/redaction.ts';
import { shownAccountProxy } from './account-proxy.ts';
import type { AccountQuotaView, AccountState, AccountView } from './account-state.ts';
import { judgeAccount, type LiveAccountState, shownState } from './judge-account.ts';

/** What the pool knows about an account right now (src/pool/status.ts's AccountStatus fits). */
export interface LiveAccountStatus extends LiveAccountState {
  readonly tier?: string;
  readonly cooldowns: ReadonlyArray<{ readonly model: string; readonly untilMs: number; readonly reason: string }>;
}

export interface AccountViewOptions {
  /** Epoch ms. */
  readonly nowMs: number;
  readonly protection: QuotaProtectionSettings;
}

/** The quota part of a view: models with percentages and resets, and the buckets. */
export function quotaView(account: Account): AccountQuotaView | null {
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

/** States whose reason goes into `error` (the switches have their own reason fields). */
const errorStates: ReadonlySet<AccountState> = new Set([
  'cooling',
  'refresh-failing',
  'project-unresolved',
  'validation-blocked',
  'forbidden',
]);

export function accountView(
  account: Account,
  live: LiveAccountStatus | undefined,
  options: AccountViewOptions,
): AccountView {
  const judgement = judgeAccount(account, options.protection, options.nowMs);
  const shown = shownState(judgement, live);
  const validationUntilMs = shown.state === 'validation-blocked' ? shown.untilMs : undefined;
  return {
    id: account.id,
    email: account.email,
    name: account.name ?? null,
    state: shown.state,
    disabled: account.disabled,
    disabled_reason: account.disabled_reason ?? null,
    disabled_at: account.disabled_at ?? null,
    proxy_disabled: judgement.proxyDisabled,
    proxy_disabled_reason: judgement.proxyDisabled ? (account.proxy_disabled_reason ?? null) : null,
    proxy_disabled_at: judgement.proxyDisabled ? (account.proxy_disabled_at ?? null) : null,
    validation_blocked: shown.state === 'validation-blocked',
    validation_blocked_until: validationUntilMs === undefined ? null : Math.ceil(validationUntilMs / 1000),
    validation_url: shown.state === 'validation-blocked' ? (shown.url ?? null) : null,
    error: errorStates.has(shown.state) ? (shown.reason ?? null) : null,
    tier: account.quota?.subscription_tier ?? live?.tier ?? null,
    protected_models: options.protection.enabled ? [...judgement.protectedModels].sort() : [],
    cooldowns: (live?.cooldowns ?? []).map((cooldown) => ({
      model: cooldown.model,
      until: Math.ceil(cooldown.untilMs / 1000),
      reason: cooldown.reason,
    })),
    quota: quotaView(account),
    refresh_token: maskSecret(account.token.refresh_token),
    proxy_url: shownAccountProxy(account),
    created_at: account.created_at,
    last_used: account.last_used,
  };
}

/** One line per account for tables: the lowest remaining percentage among its models, and how many there are. */
export function quotaSummary(account: Account): string {
  const models = (account.quota?.models ?? []).filter((model) => model.percentage_unknown !== true);
  if (models.length === 0) return account.quota?.models.length ? 'quota unknown' : 'no quota data';
  const lowest = models.reduce((minimum, model) => (model.percentage < minimum.percentage ? model : minimum));
  const tier = account.quota?.subscription_tier ? `${account.quota.subscription_tier}, ` : '';
  return `${tier}${models.length} models, lowest ${lowest.name} ${lowest.percentage}%`;
}
