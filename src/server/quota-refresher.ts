/**
 * Quota snapshots, refreshed by the server itself (the reference refreshes only while its UI is open): every
 * `quota.refreshIntervalMs` (±10 % jitter), a few accounts at a time, disabled / proxy-disabled / forbidden
 * accounts skipped. Each snapshot is written into the account file's `quota` object in the reference format
 * (tier from loadCodeAssist, models from fetchAvailableModels, buckets from retrieveUserQuotaSummary), with the
 * quota-protection list recomputed, and the pool reloads so protection applies at once.
 */

import { protectedModelsOf, quotaProtectionFrom } from '../accounts/quota-protection.ts';
import type { GatewayConfig } from '../config/gateway-config.ts';
import { GatewayError, toGatewayError } from '../errors/catalogue.ts';
import type { GoogleClients } from '../google/clients.ts';
import type { Account, QuotaData } from '../store/account-schema.ts';
import type { AccountStore } from '../store/account-store.ts';
import type { Logger } from '../telemetry/log-port.ts';
import { roundTimer, serialRounds } from './rounds.ts';

/** A usable access token for the account (`force`: the last one was refused with 401). */
export type AccessTokenSource = (
  account: Account,
  options: { force: boolean; staleToken?: string },
) => Promise<string | undefined>;

export interface QuotaRefresherOptions {
  store: AccountStore;
  /** The running pool's single-flight refresh, or a direct refresh for the CLI. */
  accessToken: AccessTokenSource;
  google: Pick<GoogleClients, 'codeAssist' | 'forProxy'>;
  config: () => GatewayConfig;
  logger: Logger;
  now: () => number;
  /** Applies the new files to the running pool. */
  reloadPool: () => Promise<void>;
  /** Called with each account whose quota was written (admin events). */
  onAccountUpdated?: (accountId: string) => void;
  random?: () => number;
}

export interface QuotaRefreshOutcome {
  refreshed: number;
  failed: number;
  skipped: number;
  errors: Array<{ accountId: string; message: string }>;
}

export interface QuotaRefresher {
  /** Starts the background schedule (the first round runs soon after start). */
  start(): void;
  /** Stops the schedule and waits for a round in progress, so nothing writes after shutdown. */
  stop(): Promise<void>;
  /** Refreshes now: every eligible account, or the given ones (eligible or not, except disabled). */
  refreshNow(accountIds?: readonly string[]): Promise<QuotaRefreshOutcome>;
}

/** Why an account is left out of background refreshes; undefined when it is refreshed. */
export function quotaSkipReason(account: Account): string | undefined {
  if (account.disabled) return 'disabled';
  if (account.proxy_disabled) return 'proxy-disabled';
  if (account.quota?.is_forbidden) return 'forbidden';
  return undefined;
}

/** Runs `work` over `items` with at most `limit` at a time. */
async function withConcurrency<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  });
  await Promise.all(runners);
}

export function createQuotaRefresher(options: QuotaRefresherOptions): QuotaRefresher {
  const random = options.random ?? Math.random;

  /** One Google round trip for one account, retried once with a forced refresh on 401. */
  async function fetchSnapshot(account: Account): Promise<QuotaData> {
    const attempt = async (force: boolean, staleToken?: string): Promise<{ token: string; quota: QuotaData }> => {
      const token = await options.accessToken(account, { force, ...(staleToken ? { staleToken } : {}) });
      if (token === undefined) throw new GatewayError('AGW_ACCOUNT_NOT_FOUND', 'the account is not in the pool');
      // The account's own proxy carries its quota calls too (issue 18).
      const { codeAssist } = options.google.forProxy(account.proxy_url);
      const loaded = await codeAssist.loadCodeAssist(token);
      const projectId = loaded.projectId ?? account.token.project_id ?? undefined;
      const tier = loaded.tier ?? account.quota?.subscription_tier ?? undefined;
      const quota = await codeAssist.fetchAvailableModels(
        token,
        projectId,
        tier === undefined ? {} : { subscriptionTier: tier },
      );
      const groups = await codeAssist.retrieveUserQuotaSummary(token, projectId).catch(() => null);
      return {
        token,
        quota: {
          ...quota,
          quota_groups: groups ?? quota.quota_groups ?? null,
          subscription_tier: quota.subscription_tier ?? tier ?? null,
          google_one_credits:
            loaded.credits === undefined
              ? null
              : { amount: loaded.credits.amount, minimum_for_usage: loaded.credits.minimumForUsage },
        },
      };
    };
    try {
      return (await attempt(false)).quota;
    } catch (error) {
      const gatewayError = toGatewayError(error);
      if (gatewayError.upstreamStatus !== 401) throw error;
      return (await attempt(true, account.token.access_token)).quota;
    }
  }

  async function refreshAccount(account: Account, outcome: QuotaRefreshOutcome): Promise<void> {
    try {
      const snapshot = await fetchSnapshot(account);
      const config = options.config();
      await options.store.update(account.id, (draft) => {
        const previousTier = draft.quota?.subscription_tier;
        draft.quota = { ...snapshot, last_updated: Math.floor(options.now() / 1000) };
        if (!draft.quota.subscription_tier && previousTier) draft.quota.subscription_tier = previousTier;
        // Live limits the new snapshot shows as available again are over (reference §7.7).
        for (const model of Object.keys(draft.live_limited_models ?? {})) {
          const listed = snapshot.models.find((entry) => entry.name === model);
          if (listed !== undefined && listed.percentage_unknown !== true && listed.percentage > 0)
            delete draft.live_limited_models?.[model];
        }
        const protectedModels = [...protectedModelsOf(draft, quotaProtectionFrom(config), options.now())].sort();
        if (protectedModels.length > 0) draft.protected_models = protectedModels;
        else delete draft.protected_models;
      });
      outcome.refreshed += 1;
      options.onAccountUpdated?.(account.id);
    } catch (error) {
      outcome.failed += 1;
      const message = toGatewayError(error).message;
      outcome.errors.push({ accountId: account.id, message });
      options.logger.warn({ accountId: account.id }, `quota refresh failed: ${message}`);
    }
  }

  async function refreshOnce(accountIds?: readonly string[]): Promise<QuotaRefreshOutcome> {
    const outcome: QuotaRefreshOutcome = { refreshed: 0, failed: 0, skipped: 0, errors: [] };
    const { accounts } = await options.store.list();
    const chosen = accounts.filter((account) => {
      if (accountIds !== undefined) return accountIds.includes(account.id) && !account.disabled;
      const skip = quotaSkipReason(account);
      if (skip !== undefined) outcome.skipped += 1;
      return skip === undefined;
    });
    await withConcurrency(chosen, options.config().quota.refreshConcurrency, (account) =>
      refreshAccount(account, outcome),
    );
    // Reload even when nothing was fetched: protection also lifts when a reset time passes.
    await options.reloadPool();
    if (chosen.length > 0) {
      options.logger.info(
        { refreshed: outcome.refreshed, failed: outcome.failed, skipped: outcome.skipped },
        `quota refresh: ${outcome.refreshed} refreshed, ${outcome.failed} failed, ${outcome.skipped} skipped`,
      );
    }
    return outcome;
  }

  // Rounds never overlap: a request during a running round waits for it, then runs its own.
  const rounds = serialRounds((accountIds?: readonly string[]) => refreshOnce(accountIds));
  const refreshNow = (accountIds?: readonly string[]): Promise<QuotaRefreshOutcome> => rounds.run(accountIds);
  const timer = roundTimer({
    // A first round shortly after start fills in accounts that have no snapshot yet.
    firstDelayMs: () => Math.min(5_000, options.config().quota.refreshIntervalMs),
    nextDelayMs: () => options.config().quota.refreshIntervalMs * (0.9 + 0.2 * random()),
    tick: () => refreshNow(),
    onError: (error) => options.logger.error({ err: error }, 'quota refresh round failed'),
  });

  return {
    start: () => timer.start(),
    async stop() {
      timer.stop();
      await rounds.idle();
    },
    refreshNow,
  };
}
