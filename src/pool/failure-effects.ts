/**
 * What a classified failure does to the account that produced it: cooldowns (only while the circuit breaker is
 * on), validation blocks, the forbidden mark, and the GatewayError the client gets if no attempt succeeds.
 */
import { type ErrorCode, GatewayError } from '../errors/catalogue.ts';
import { truncateUtf8 } from '../store/truncate.ts';
import { bumpFailure, type Cooldown, type PoolEntry } from './account-entry.ts';
import { backoffMs, stepMs } from './backoff.ts';
import type { FailureVerdict, RateLimitReason } from './classify-failure.ts';
import { type PoolContext, persistInBackground } from './context.ts';
import { setAccountBlock, setModelCooldown, shareCooldown } from './cooldowns.ts';
import type { Roster } from './roster.ts';

/** The error a client receives for this failure (never names an account). */
export function errorForVerdict(verdict: FailureVerdict, upstreamStatus: number | undefined): GatewayError {
  const options = upstreamStatus === undefined ? {} : { upstreamStatus };
  switch (verdict.action) {
    case 'wait-same':
      return new GatewayError('AGW_UPSTREAM_RATE_LIMITED', verdict.message, {
        ...options,
        retryAfterSeconds: Math.max(1, Math.ceil(verdict.waitMs / 1_000)),
      });
    case 'cool-model':
      return new GatewayError('AGW_UPSTREAM_RATE_LIMITED', verdict.message, {
        ...options,
        ...(verdict.hint === undefined
          ? {}
          : { retryAfterSeconds: Math.max(1, Math.ceil(verdict.hint.delayMs / 1_000)) }),
        details: { reason: verdict.reason },
      });
    case 'refresh-retry':
      return new GatewayError('AGW_UPSTREAM_UNAUTHORIZED', verdict.message, options);
    case 'validation-block':
      return new GatewayError('AGW_UPSTREAM_VALIDATION_REQUIRED', verdict.message, options);
    case 'forbidden':
      return new GatewayError('AGW_UPSTREAM_FORBIDDEN', verdict.message, options);
    case 'rotate':
    case 'client-error':
      return new GatewayError(verdict.code satisfies ErrorCode, verdict.message, options);
  }
}

function rateLimitCooldownMs(
  context: PoolContext,
  entry: PoolEntry,
  modelKey: string,
  reason: RateLimitReason,
  nowMs: number,
): number {
  const settings = context.settings;
  const count = bumpFailure(entry, `model:${modelKey}:${reason}`, nowMs);
  switch (reason) {
    case 'QUOTA_EXHAUSTED':
    case 'INSUFFICIENT_CREDITS':
      return stepMs(settings.circuitBreaker.backoffSteps, count);
    case 'MODEL_CAPACITY_EXHAUSTED':
      return backoffMs(settings.capacityCooldown, count, context.random, settings.jitterRatio);
    case 'RATE_LIMIT_EXCEEDED':
    case 'RATE_LIMIT_UNKNOWN':
      return backoffMs(settings.rateLimitCooldown, count, context.random, settings.jitterRatio);
  }
}

/** Cools `entry` down for `modelKey` after a 429; returns the cooldown set and the one it replaced. */
export function coolModel(
  context: PoolContext,
  entry: PoolEntry,
  modelKey: string,
  verdict: Extract<FailureVerdict, { action: 'cool-model' }>,
): { cooldown: Cooldown; previous: Cooldown | undefined } | undefined {
  const settings = context.settings;
  const nowMs = context.clock.now();
  if (verdict.reason === 'QUOTA_EXHAUSTED' && verdict.hint !== undefined) {
    const resetIso = new Date(verdict.hint.resetAtMs).toISOString();
    persistInBackground(context, 'recordQuotaExhausted', () =>
      context.storage.recordQuotaExhausted(entry.id, modelKey, resetIso),
    );
  }
  if (!settings.circuitBreaker.enabled) return undefined;
  // An explicit hint is honoured to the reset time, however long (weakness 10).
  const waitMs =
    verdict.hint === undefined
      ? rateLimitCooldownMs(context, entry, modelKey, verdict.reason, nowMs)
      : Math.max(settings.minimumCooldownMs, verdict.hint.delayMs);
  const cooldown: Cooldown = {
    untilMs: nowMs + waitMs,
    reason: verdict.reason,
    message: truncateUtf8(verdict.message, 500),
  };
  const previous = setModelCooldown(context, entry, modelKey, cooldown);
  return { cooldown, previous };
}

/** A short account-wide cooldown after a server error, or after a 401 that survived a refresh. */
export function coolAccount(
  context: PoolContext,
  entry: PoolEntry,
  reason: 'SERVER_ERROR' | 'UNAUTHORIZED',
  message: string,
): void {
  const settings = context.settings;
  if (!settings.circuitBreaker.enabled) return;
  const nowMs = context.clock.now();
  const count = bumpFailure(entry, reason === 'SERVER_ERROR' ? 'server' : 'unauthorized', nowMs);
  const backoff = reason === 'SERVER_ERROR' ? settings.serverErrorCooldown : settings.unauthorizedCooldown;
  const waitMs = backoffMs(backoff, count, context.random, settings.jitterRatio);
  setAccountBlock(context, entry, { untilMs: nowMs + waitMs, reason, message: truncateUtf8(message, 500) });
}

/**
 * An account whose outbound proxy failed (issue 18): out of rotation for a backoff, with the proxy's reason as the
 * account's visible reason. Never a disable: the proxy may come back, and changing proxy_url lifts the block.
 * Not under the circuit breaker: a dead proxy fails every call at once, so retrying it only delays requests.
 */
export function coolForProxy(context: PoolContext, entry: PoolEntry, message: string): void {
  const nowMs = context.clock.now();
  const settings = context.settings;
  const count = bumpFailure(entry, 'proxy', nowMs);
  const waitMs = backoffMs(settings.proxyFailureCooldown, count, context.random, settings.jitterRatio);
  setAccountBlock(context, entry, {
    untilMs: nowMs + waitMs,
    reason: 'PROXY_FAILED',
    message: truncateUtf8(message, 500),
  });
  context.logger.warn({ accountId: entry.id }, `Outbound proxy of ${entry.email} failed; cooling it down: ${message}`);
  context.emit({ type: 'account-state', accountId: entry.id, state: 'cooling', reason: message });
}

/** A timed validation block carrying the verification URL; NOT also forbidden (weakness 12). */
export function blockForValidation(
  context: PoolContext,
  entry: PoolEntry,
  verdict: Extract<FailureVerdict, { action: 'validation-block' }>,
): void {
  const nowMs = context.clock.now();
  const untilMs = nowMs + context.settings.validationBlockSeconds * 1_000;
  const reason = truncateUtf8(verdict.message, 1_000);
  entry.accountBlock = {
    untilMs,
    reason: 'VALIDATION_REQUIRED',
    message: reason,
    ...(verdict.url === undefined ? {} : { url: verdict.url }),
  };
  shareCooldown(context, entry.id, undefined, entry.accountBlock);
  context.logger.warn(
    {
      accountId: entry.id,
      until: new Date(untilMs).toISOString(),
      ...(verdict.url === undefined ? {} : { url: verdict.url }),
    },
    `Account ${entry.email} validation blocked until ${new Date(untilMs).toISOString()}`,
  );
  context.emit({ type: 'account-state', accountId: entry.id, state: 'validation-blocked', reason });
  const untilUnix = Math.floor(untilMs / 1_000);
  persistInBackground(context, 'setValidationBlock', () =>
    verdict.url === undefined
      ? context.storage.setValidationBlock(entry.id, untilUnix, reason)
      : context.storage.setValidationBlock(entry.id, untilUnix, reason, verdict.url),
  );
}

/** Marks the account forbidden: out of the pool, visible in status, reversible from the store. */
export function markForbidden(context: PoolContext, roster: Roster, entry: PoolEntry, message: string): void {
  const reason = truncateUtf8(message, 1_000);
  roster.remove(entry, { id: entry.id, email: entry.email, state: 'forbidden', reason });
  context.logger.warn({ accountId: entry.id }, `Account ${entry.email} marked as forbidden (403): ${reason}`);
  context.emit({ type: 'account-state', accountId: entry.id, state: 'forbidden', reason });
  persistInBackground(context, 'markForbidden', () => context.storage.markForbidden(entry.id, reason));
}
