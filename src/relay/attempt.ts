/**
 * The one upstream attempt, shared by streamed, collected and countTokens calls: lease → envelope → call →
 * status → read the answer → result. Any failure before the answer is handed over becomes a classified failure for
 * the rotation loop (so it may rotate, wait or retry); a client that went away is rethrown as it is.
 */
import { toGatewayError } from '../errors/catalogue.ts';
import type { AttemptResult, Lease, UpstreamFailure } from '../pool/attempt-types.ts';
import { isUserProjectDenial, rateLimitReason } from '../pool/classify-failure.ts';
import { readUpstreamErrorBody } from '../pool/upstream-error-body.ts';
import type { UpstreamResponse } from '../upstream/client.ts';
import type { FactsRecorder } from './facts.ts';
import type { RelayServices } from './ports.ts';

/** What one kind of call sends and how it reads a 200 answer. */
export interface CallPlan<T> {
  readonly method: string;
  readonly query?: string;
  /** The upstream model (headers, and the 429 metrics' key). */
  readonly model: string;
  /** The request body for this account: the v1internal envelope. */
  body(lease: Lease): unknown;
  /** Reads a 200 answer. A failure here is still before the commit point, so the loop may rotate. */
  read(answer: UpstreamResponse, lease: Lease): Promise<AttemptResult<T>>;
}

/** The envelope asking Google to pay with Google One AI credits when the free quota is spent. */
function withCredits(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? { ...body, enabledCreditTypes: ['GOOGLE_ONE_AI'] } : body;
}

export function failed(failure: UpstreamFailure): AttemptResult<never> {
  return { ok: false, failure };
}

/** A thrown upstream error as the failure the pool classifies; a client abort is rethrown as it is. */
export function failureFromError(error: unknown, signal: AbortSignal): AttemptResult<never> {
  if (signal.aborted) throw signal.reason ?? error;
  const gatewayError = toGatewayError(error);
  const kind =
    gatewayError.code === 'AGW_UPSTREAM_TIMEOUT'
      ? 'timeout'
      : gatewayError.code === 'AGW_ACCOUNT_PROXY_FAILED'
        ? 'proxy'
        : 'network';
  return failed({ kind, message: gatewayError.message, committed: false });
}

export async function runAttempt<T>(
  services: RelayServices,
  plan: CallPlan<T>,
  lease: Lease,
  signal: AbortSignal,
  recorder: FactsRecorder,
): Promise<AttemptResult<T>> {
  recorder.attemptStarted(lease);
  const startedAt = services.now();
  try {
    const body = plan.body(lease);
    const send = (withProjectHeader: boolean) =>
      services.upstream.call({
        method: plan.method,
        ...(plan.query === undefined ? {} : { query: plan.query }),
        accessToken: lease.accessToken,
        body,
        ...(withProjectHeader ? { projectId: lease.projectId } : {}),
        model: plan.model,
        signal,
        ...(lease.proxy === undefined ? {} : { proxy: lease.proxy }),
      });
    let answer: UpstreamResponse;
    let bodyText: string | undefined;
    try {
      answer = await send(true);
      if (answer.status === 429 && services.mayPayWithCredits?.(lease.accountId) === true) {
        bodyText = await answer.text().catch(() => '');
        // The free quota of this model is spent and the account has credits: the same call once more, paid by
        // credits (issue 16, opt-in). A refusal of that (INSUFFICIENT_G1_CREDITS_BALANCE) goes to the loop.
        if (rateLimitReason(readUpstreamErrorBody(bodyText), bodyText) === 'QUOTA_EXHAUSTED') {
          answer = await services.upstream.call({
            method: plan.method,
            ...(plan.query === undefined ? {} : { query: plan.query }),
            accessToken: lease.accessToken,
            body: withCredits(body),
            projectId: lease.projectId,
            model: plan.model,
            signal,
            ...(lease.proxy === undefined ? {} : { proxy: lease.proxy }),
          });
          bodyText = undefined;
        }
      }
      if (answer.status === 403) {
        bodyText = await answer.text().catch(() => '');
        // A 403 caused by x-goog-user-project is retried once on the same account without the header; only a 403
        // that survives this retry reaches the loop, which may then mark the account forbidden.
        if (isUserProjectDenial(bodyText, lease.projectId)) {
          answer = await send(false);
          bodyText = undefined;
        }
      }
    } catch (error) {
      return failureFromError(error, signal);
    }
    if (answer.status !== 200) {
      bodyText ??= await answer.text().catch(() => '');
      if (answer.status === 429) {
        services.metrics.recordUpstream429(rateLimitReason(readUpstreamErrorBody(bodyText), bodyText));
      }
      return failed({ kind: 'http', status: answer.status, headers: answer.headers, bodyText, committed: false });
    }
    let result: AttemptResult<T>;
    try {
      result = await plan.read(answer, lease);
    } catch (error) {
      result = failureFromError(error, signal);
    }
    // An answer given up on must not hold its connection.
    if (!result.ok) answer.body.destroy();
    return result;
  } finally {
    recorder.upstreamTime(services.now() - startedAt);
  }
}
