/**
 * The one retry loop of agw: pick an account, make its token and project ready, run one attempt, classify a
 * failure, and rotate, wait or stop. Attempts are bounded (settings and pool size + 1), the whole request has a
 * deadline, nothing sleeps after the final attempt, and a committed answer is never retried.
 */
import { GatewayError, toGatewayError } from '../errors/catalogue.ts';
import type { PoolEntry } from './account-entry.ts';
import type { AttemptFunction, ExecuteRequest } from './attempt-types.ts';
import { backoffMs } from './backoff.ts';
import { classifyFailure, mayBePoison } from './classify-failure.ts';
import type { PoolContext } from './context.ts';
import { undoModelCooldown, waitUntilSelectableMs } from './cooldowns.ts';
import {
  blockForValidation,
  coolAccount,
  coolForProxy,
  coolModel,
  errorForVerdict,
  markForbidden,
} from './failure-effects.ts';
import { normalizeModelKey } from './model-key.ts';
import type { CausedCooldown, PoisonDetector } from './poison-detector.ts';
import { ensureProjectId } from './project-lifecycle.ts';
import type { Roster } from './roster.ts';
import type { Selector } from './selector.ts';
import { freshAccessToken } from './token-lifecycle.ts';

export interface LoopParts {
  readonly context: PoolContext;
  readonly roster: Roster;
  readonly selector: Selector;
  readonly poison: PoisonDetector;
}

/**
 * The last error, told to come back when the first account is free again. `waitMs` (the shortest cooldown over all
 * accounts) wins over the last account's own hint, which may be a later one.
 */
function withRetryAfter(error: GatewayError, waitMs: number | undefined): GatewayError {
  if (waitMs === undefined || waitMs <= 0) return error;
  if (error.retryAfterSeconds === Math.ceil(waitMs / 1_000)) return error;
  return new GatewayError(error.code, error.message, {
    retryAfterSeconds: Math.ceil(waitMs / 1_000),
    ...(error.upstreamStatus === undefined ? {} : { upstreamStatus: error.upstreamStatus }),
    ...(error.details === undefined ? {} : { details: error.details }),
    cause: error,
  });
}

/** Every account cools down for the model: 429 with the shortest wait, so clients come back when one is free. */
function allLimited(context: PoolContext, modelKey: string, waitMs: number, cause?: GatewayError): GatewayError {
  const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1_000));
  context.emit({ type: 'all-limited', model: modelKey, retryAfterSeconds });
  return new GatewayError(
    'AGW_ALL_ACCOUNTS_LIMITED',
    `Every account is cooling down for ${modelKey}; retry in ${retryAfterSeconds}s.`,
    { retryAfterSeconds, ...(cause === undefined ? {} : { cause }) },
  );
}

function poisonedError(attempts: number): GatewayError {
  return new GatewayError(
    'AGW_POISONED_REQUEST',
    'This request was rejected by several accounts in a row while other requests succeed; it is failed alone. ' +
      'Change the request (system prompt, tools, size) and try again.',
    { details: { attempts } },
  );
}

/** Runs `attempt` with rotating accounts until it succeeds or the request cannot be served. */
export async function executeWithRotation<T>(
  parts: LoopParts,
  request: ExecuteRequest,
  attempt: AttemptFunction<T>,
): Promise<T> {
  const { context, roster, selector, poison } = parts;
  const settings = context.settings;
  const { clock } = context;
  const signal = request.signal;
  const modelKey = normalizeModelKey(request.model);
  const source = request.requestFingerprint;
  let computed: string | undefined;
  const fingerprintOf = (): string | undefined => {
    if (source === undefined || typeof source === 'string') return source;
    computed ??= source();
    return computed;
  };
  const startedAt = clock.now();
  const deadline = startedAt + settings.requestDeadlineMs;
  const alreadyPoisoned =
    poison.watching && source !== undefined && poison.isPoisoned(fingerprintOf() as string, startedAt);
  const maxAttempts =
    alreadyPoisoned || request.accountId !== undefined
      ? 1
      : Math.max(1, Math.min(settings.maxAttempts, roster.size + 1));
  const tried = new Set<string>();
  const refreshedAfter401 = new Set<string>();
  let attempts = 0;
  let skips = 0;
  let waitedMs = 0;
  let lastError: GatewayError | undefined;
  let pinned: PoolEntry | undefined;

  const report = (outcome: string): void => {
    context.emit({ type: 'request', model: modelKey, attempts, outcome });
  };
  const fail = (error: GatewayError): never => {
    report(error.code);
    throw error;
  };
  const sleep = async (ms: number): Promise<void> => {
    await clock.sleep(ms, signal);
  };
  /**
   * Notes a rejection that may be the request's fault; when it makes the request poisoned, undoes the cooldowns the
   * request caused (only ever ones it caused: `mayBePoison` keeps real quota cooldowns out) and fails it alone.
   */
  const isolateIfPoisoned = (fingerprint: string, accountId: string, atMs: number, caused?: CausedCooldown): void => {
    const undo = poison.recordRejection(
      fingerprint,
      accountId,
      atMs,
      settings.poisonThreshold,
      settings.poisonWindowMs,
      caused,
    );
    if (undo === undefined) return;
    context.shared.publish({ kind: 'poisoned', fingerprint, untilMs: atMs + settings.poisonWindowMs });
    for (const item of undo) undoModelCooldown(context, item.entry, item.modelKey, item.cooldown, item.previous);
    roster.availabilityVersion += 1;
    context.logger.warn({ model: modelKey }, 'Poisoned request isolated: rejected by several accounts in a row');
    context.emit({ type: 'poisoned', model: modelKey, accounts: settings.poisonThreshold });
    fail(poisonedError(attempts));
  };

  for (;;) {
    signal?.throwIfAborted();
    const nowMs = clock.now();
    if (nowMs >= deadline) {
      fail(
        new GatewayError(
          'AGW_DEADLINE_EXCEEDED',
          `The request ran out of its ${settings.requestDeadlineMs} ms budget.`,
          {
            ...(lastError === undefined ? {} : { cause: lastError }),
          },
        ),
      );
    }
    if (attempts >= maxAttempts) {
      const last = lastError ?? new GatewayError('AGW_INTERNAL', 'no attempt result');
      // A pinned request made its one attempt: its own error, not a verdict about the pool.
      if (request.accountId !== undefined) fail(last);
      // Attempts that leave every account rate limited answer 429 with Retry-After: a 503 would make clients
      // retry at once into the same wall.
      const waitMs = last.status === 429 ? selector.shortestWaitMs(modelKey, nowMs) : undefined;
      if (waitMs !== undefined && waitMs > 0) fail(allLimited(context, modelKey, waitMs, last));
      // Refused for its text on every account tried: the request's own error, not the pool's.
      if (last.code === 'AGW_UPSTREAM_PROMPT_FILTERED') fail(last);
      fail(
        new GatewayError(
          'AGW_ATTEMPTS_EXHAUSTED',
          `All ${attempts} attempts failed. Last error: ${last.code}: ${last.message}`,
          {
            cause: last,
            details: { lastCode: last.code, attempts },
            ...(last.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: last.retryAfterSeconds }),
            ...(last.upstreamStatus === undefined ? {} : { upstreamStatus: last.upstreamStatus }),
          },
        ),
      );
    }

    let entry: PoolEntry | undefined = pinned !== undefined && !pinned.removed ? pinned : undefined;
    pinned = undefined;
    if (entry === undefined && request.accountId !== undefined) {
      // A request for one account: that account or nothing, never another one.
      const only = roster.byId.get(request.accountId);
      if (only === undefined) {
        fail(new GatewayError('AGW_ACCOUNT_NOT_FOUND', 'The account is not in the pool (disabled or unknown).'));
      } else {
        const waitMs = waitUntilSelectableMs(context, only, modelKey, nowMs);
        if (waitMs !== 0) {
          fail(
            new GatewayError(
              'AGW_ALL_ACCOUNTS_LIMITED',
              `The account may not serve ${modelKey} now (cooling down or quota-protected).`,
              {
                ...(waitMs === undefined ? {} : { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1_000)) }),
              },
            ),
          );
        }
      }
      entry = only;
    }
    if (entry === undefined) {
      entry = selector.select(modelKey, request.sessionKey, tried, nowMs);
      if (entry === undefined && attempts > 0) {
        // Everyone else is out: retry a tried account that is still fine (e.g. after a network error), after a pause.
        const again = selector.selectAny(modelKey, nowMs);
        if (again !== undefined) {
          const pauseMs = backoffMs(settings.sameAccountRetryPause, attempts, context.random, settings.jitterRatio);
          if (nowMs + pauseMs >= deadline)
            fail(lastError ?? new GatewayError('AGW_DEADLINE_EXCEEDED', 'No time left to retry.'));
          await sleep(pauseMs);
          entry = again.removed ? undefined : again;
          if (entry === undefined) continue;
        }
      }
      if (entry === undefined) {
        const waitMs = selector.shortestWaitMs(modelKey, nowMs);
        if (lastError !== undefined) fail(withRetryAfter(lastError, waitMs));
        if (roster.size === 0) {
          fail(new GatewayError('AGW_NO_ACCOUNTS', 'The pool has no usable account (none added, or all disabled).'));
        }
        if (waitMs === undefined) {
          fail(new GatewayError('AGW_NO_ACCOUNTS', `No account may serve ${modelKey} (quota protection or unusable).`));
        }
        const wait = waitMs ?? 0;
        if (wait <= settings.maxWaitSeconds * 1_000 - waitedMs && nowMs + wait < deadline) {
          await sleep(wait);
          waitedMs += wait;
          continue;
        }
        fail(allLimited(context, modelKey, wait));
      }
    }
    if (entry === undefined) continue;

    tried.add(entry.id);
    let accessToken: string | undefined;
    let projectId: string | undefined;
    try {
      accessToken = await freshAccessToken(context, roster, entry);
      if (accessToken !== undefined) projectId = await ensureProjectId(context, entry, accessToken);
    } catch (error) {
      lastError = toGatewayError(error);
      skips += 1;
      if (skips >= settings.maxAccountSkipsPerRequest) fail(lastError);
      continue;
    }
    if (accessToken === undefined || projectId === undefined) continue;
    signal?.throwIfAborted();

    attempts += 1;
    const result = await attempt({
      accountId: entry.id,
      email: entry.email,
      accessToken,
      projectId,
      attempt: attempts,
      ...(entry.tier === undefined ? {} : { tier: entry.tier }),
      ...(entry.proxyUrl === undefined ? {} : { proxy: entry.proxyUrl }),
    });
    const afterMs = clock.now();
    if (result.ok) {
      entry.failures.clear();
      poison.recordSuccess(poison.watching ? fingerprintOf() : undefined, afterMs);
      if (request.sessionKey !== undefined) selector.bindSession(request.sessionKey, entry.id, afterMs);
      report('ok');
      return result.value;
    }

    const failure = result.failure;
    const verdict = classifyFailure(failure, settings, afterMs);
    const error = errorForVerdict(verdict, failure.kind === 'http' ? failure.status : undefined);
    lastError = error;
    // Bytes reached the client: no retry, and no verdict about the account from a half-finished answer.
    if (failure.committed) fail(error);

    const poisonable = mayBePoison(verdict);
    if (alreadyPoisoned && poisonable) fail(poisonedError(attempts));

    const fingerprint = poisonable ? fingerprintOf() : undefined;
    switch (verdict.action) {
      case 'client-error': {
        if (fingerprint !== undefined) isolateIfPoisoned(fingerprint, entry.id, afterMs);
        fail(error);
        break;
      }
      case 'wait-same': {
        if (attempts < maxAttempts && afterMs + verdict.waitMs < deadline) {
          await sleep(verdict.waitMs);
          pinned = entry;
        }
        break;
      }
      case 'cool-model': {
        const applied = coolModel(context, entry, modelKey, verdict);
        if (fingerprint !== undefined) {
          isolateIfPoisoned(fingerprint, entry.id, afterMs, applied && { entry, modelKey, ...applied });
        }
        break;
      }
      case 'refresh-retry': {
        if (refreshedAfter401.has(entry.id)) {
          coolAccount(context, entry, 'UNAUTHORIZED', verdict.message);
          break;
        }
        refreshedAfter401.add(entry.id);
        try {
          const renewed = await freshAccessToken(context, roster, entry, { force: true, staleToken: accessToken });
          if (renewed !== undefined) pinned = entry;
        } catch (refreshError) {
          lastError = toGatewayError(refreshError);
        }
        break;
      }
      case 'validation-block':
        blockForValidation(context, entry, verdict);
        break;
      case 'forbidden':
        markForbidden(context, roster, entry, verdict.message);
        break;
      case 'rotate':
        if (verdict.code === 'AGW_ACCOUNT_PROXY_FAILED') coolForProxy(context, entry, verdict.message);
        else if (verdict.coolAccount) coolAccount(context, entry, 'SERVER_ERROR', verdict.message);
        // Only a reasonless refusal (the prompt filter) has a fingerprint here: see mayBePoison.
        if (fingerprint !== undefined) isolateIfPoisoned(fingerprint, entry.id, afterMs);
        break;
    }
  }
}
