/**
 * The scheduled warm-up (scheduled_warmup.enabled, off by default): every `warmUp.intervalMs` it plans a round
 * with src/accounts/warm-up-plan.ts and sends the due calls one after another through the relay, each pinned to
 * its account (src/relay/warm-up-call.ts). Every call becomes a request-log row with protocol `warm-up`; those
 * rows are also the history the next round plans from, so the CLI (`agw warm-up`) and a running gateway see each
 * other's warm-ups. A failed call is recorded like any request and is not retried: the plan only calls it again
 * after the next reset or window length.
 */

import { quotaProtectionFrom } from '../accounts/quota-protection.ts';
import { planWarmUp, type WarmUpCall, type WarmUpSkip, warmUpKey } from '../accounts/warm-up-plan.ts';
import type { GatewayConfig } from '../config/gateway-config.ts';
import { GatewayError, toGatewayError } from '../errors/catalogue.ts';
import { normalizeModelKey } from '../pool/model-key.ts';
import type { AccountPool } from '../pool/pool.ts';
import type { RelayFacts } from '../relay/facts.ts';
import type { RelayServices } from '../relay/ports.ts';
import { relayWarmUp } from '../relay/warm-up-call.ts';
import type { AccountStore } from '../store/account-store.ts';
import type { Logger } from '../telemetry/log-port.ts';
import type { RequestLog, RequestLogEntry } from '../telemetry/request-log.ts';
import { roundTimer, serialRounds } from './rounds.ts';

/** The request-log protocol of warm-up rows. */
export const warmUpProtocol = 'warm-up';

export type WarmUpTrigger = 'scheduled' | 'manual';

export interface WarmUpResult extends WarmUpCall {
  readonly ok: boolean;
  /** Catalogue code of a failure. */
  readonly errorCode?: string;
  readonly message?: string;
}

export interface WarmUpOutcome {
  readonly dryRun: boolean;
  /** The calls sent (or, in a dry run, that would be sent). */
  readonly calls: WarmUpResult[];
  readonly skipped: WarmUpSkip[];
}

export interface WarmUpRunOptions {
  /** Only these accounts (ids). */
  accountIds?: readonly string[];
  /** Plan only: nothing is sent or recorded. */
  dryRun?: boolean;
  trigger?: WarmUpTrigger;
}

export interface WarmUpSchedulerOptions {
  store: Pick<AccountStore, 'list'>;
  pool: Pick<AccountPool, 'status'>;
  relay: RelayServices;
  requestLog: Pick<RequestLog, 'query' | 'record'>;
  config: () => GatewayConfig;
  logger: Logger;
  /** The clock the plan, the history and the rows use (the pool's, so tests move them together). */
  now: () => number;
  /** Called with each row written (the admin event stream). */
  onRecorded?: (entry: RequestLogEntry) => void;
}

export interface WarmUpScheduler {
  /** Starts the timer; each tick does nothing while scheduled_warmup.enabled is off. */
  start(): void;
  /** Stops the timer, cancels a call in flight and waits for the round to end. */
  stop(): Promise<void>;
  /** One scheduled check: a round when the setting is on, else nothing (undefined). */
  tick(): Promise<WarmUpOutcome | undefined>;
  /** One round now, whatever the setting (the CLI and the admin API). */
  runNow(options?: WarmUpRunOptions): Promise<WarmUpOutcome>;
}

/** How far back the request log is read for the history: well past one window and one day. */
const historyMs = (config: GatewayConfig): number => Math.max(2 * config.warmUp.windowMs, 86_400_000);

export function createWarmUpScheduler(options: WarmUpSchedulerOptions): WarmUpScheduler {
  const { logger } = options;
  /** Warm-ups sent by this process, for when the request log is off or was pruned. */
  const sent = new Map<string, number>();
  const stopping = new AbortController();

  function history(nowMs: number): Map<string, number> {
    const last = new Map(sent);
    const rows = options.requestLog.query({
      protocol: warmUpProtocol,
      since: nowMs - historyMs(options.config()),
      limit: 1000,
    });
    for (const row of rows) {
      if (row.accountId === null || row.mappedModel === null) continue;
      const key = warmUpKey(row.accountId, normalizeModelKey(row.mappedModel));
      last.set(key, Math.max(last.get(key) ?? Number.NEGATIVE_INFINITY, row.time));
    }
    return last;
  }

  async function send(call: WarmUpCall, trigger: WarmUpTrigger): Promise<WarmUpResult> {
    const config = options.config();
    const startedAt = options.now();
    // Noted before the call: a round that overlaps a slow call must not send it twice.
    sent.set(warmUpKey(call.accountId, call.family), startedAt);
    const facts: RelayFacts = { attempts: 0 };
    let result: WarmUpResult;
    let status = 200;
    let usage: Awaited<ReturnType<typeof relayWarmUp>>['usage'];
    try {
      ({ usage } = await relayWarmUp(options.relay, {
        accountId: call.accountId,
        model: call.model,
        maxOutputTokens: config.warmUp.maxOutputTokens,
        signal: stopping.signal,
        facts,
      }));
      result = { ...call, ok: true };
      logger.info({ accountId: call.accountId, model: call.model }, `warm-up sent: ${call.email} ${call.model}`);
    } catch (error) {
      const failure = toGatewayError(error);
      status = failure.status;
      result = { ...call, ok: false, errorCode: failure.code, message: failure.message };
      logger.warn(
        { accountId: call.accountId, model: call.model, code: failure.code },
        `warm-up failed: ${call.email} ${call.model}: ${failure.message}`,
      );
    }
    const entry: RequestLogEntry = {
      protocol: warmUpProtocol,
      route: `/warm-up/${trigger}`,
      method: 'POST',
      status,
      totalMs: Math.max(0, options.now() - startedAt),
      stream: false,
      attempts: facts.attempts,
      clientModel: call.model,
      mappedModel: call.model,
      accountId: call.accountId,
      upstreamMs: facts.upstreamMs ?? null,
      inputTokens: usage?.inputTokens ?? null,
      outputTokens: usage?.outputTokens ?? null,
      cachedTokens: usage?.cachedTokens ?? null,
      errorCode: facts.errorCode ?? (result.ok ? null : (result.errorCode ?? null)),
      time: startedAt,
    };
    options.requestLog.record(entry);
    options.onRecorded?.(entry);
    return result;
  }

  async function round(runOptions: WarmUpRunOptions): Promise<WarmUpOutcome> {
    const config = options.config();
    const nowMs = options.now();
    const { accounts } = await options.store.list();
    if (runOptions.accountIds !== undefined) {
      const known = new Set(accounts.map((account) => account.id));
      const unknown = runOptions.accountIds.filter((id) => !known.has(id));
      if (unknown.length > 0)
        throw new GatewayError('AGW_ACCOUNT_NOT_FOUND', `No account has the id ${unknown.join(', ')}.`);
    }
    const live = new Map(
      options.pool
        .status()
        .map((status) => [
          status.id,
          { ...status, coolingModels: new Set(status.cooldowns.map((cooldown) => cooldown.model)) },
        ]),
    );
    const plan = planWarmUp({
      nowMs,
      accounts,
      live,
      lastWarmUps: history(nowMs),
      families: config.warmUp.families,
      windowMs: config.warmUp.windowMs,
      protection: quotaProtectionFrom(config),
      ...(runOptions.accountIds === undefined ? {} : { accountIds: new Set(runOptions.accountIds) }),
    });
    if (runOptions.dryRun === true) {
      return { dryRun: true, calls: plan.calls.map((call) => ({ ...call, ok: true })), skipped: plan.skipped };
    }
    const results: WarmUpResult[] = [];
    // One call at a time: a warm-up is never urgent, and a big pool must not burst Google.
    for (const call of plan.calls) {
      if (stopping.signal.aborted) break;
      results.push(await send(call, runOptions.trigger ?? 'manual'));
    }
    if (plan.calls.length > 0) {
      const failed = results.filter((result) => !result.ok).length;
      logger.info(
        { sent: results.length, failed, skipped: plan.skipped.length },
        `warm-up round: ${results.length} sent, ${failed} failed`,
      );
    }
    return { dryRun: false, calls: results, skipped: plan.skipped };
  }

  // Rounds never overlap: a request during a running round waits for it (and then sees its history).
  const rounds = serialRounds((runOptions: WarmUpRunOptions) => round(runOptions));
  const runNow = (runOptions: WarmUpRunOptions = {}): Promise<WarmUpOutcome> => rounds.run(runOptions);

  async function tick(): Promise<WarmUpOutcome | undefined> {
    if (!options.config().warmUp.enabled) return undefined;
    return runNow({ trigger: 'scheduled' });
  }

  const timer = roundTimer({
    // The first check waits a minute, so the quota refresher's first round has filled in the snapshots.
    firstDelayMs: () => Math.min(60_000, options.config().warmUp.intervalMs),
    nextDelayMs: () => options.config().warmUp.intervalMs,
    tick,
    onError: (error) => logger.error({ err: error }, 'warm-up round failed'),
  });

  return {
    start: () => timer.start(),
    async stop() {
      timer.stop();
      stopping.abort(new GatewayError('AGW_CLIENT_CLOSED', 'the gateway is stopping'));
      await rounds.idle();
    },
    tick,
    runNow,
  };
}
