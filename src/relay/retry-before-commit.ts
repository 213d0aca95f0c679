/**
 * The one retry-before-commit, for streamed and collected generations of every dialect: a request that failed
 * before any of its answer reached the client may be tried once more as a different request. One rule today: an
 * upstream rejection of the request's thought signatures (a stale or foreign signature, earlier tool calls sent
 * without their thinking) gets exactly one thinking-free retry. Heartbeats do not count as part of the answer, so
 * a stream that only sent pings can still be retried.
 */
import { toGatewayError } from '../errors/catalogue.ts';
import { createSignatureRetryGuard } from '../protocols/canonical/thinking-free-retry.ts';
import type { CanonicalRequest } from '../protocols/canonical/types.ts';

/** Runs `run` (which resolves at the commit point) and, on a rejection the rule covers, once more. */
export async function withRetryBeforeCommit<T>(
  first: CanonicalRequest,
  signal: AbortSignal,
  run: (request: CanonicalRequest) => Promise<T>,
): Promise<T> {
  const guard = createSignatureRetryGuard();
  let request = first;
  // Bounded: the guard hands out at most one retry, so this runs at most twice.
  for (;;) {
    try {
      return await run(request);
    } catch (error) {
      if (signal.aborted) throw error;
      const failure = toGatewayError(error);
      const retry = guard.retryFor(request, failure.upstreamStatus ?? failure.status, failure.message);
      if (retry === undefined) throw error;
      request = retry;
    }
  }
}
