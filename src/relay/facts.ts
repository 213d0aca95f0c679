/**
 * The facts of one generation request that the request log and the metrics need: attempts, the account of the last
 * attempt, the time spent waiting on Google over every attempt, the usage seen, and the error code. The recorder
 * below is their one writer, so the facts of a request that rotated, retried without thinking, failed in-band or
 * was dropped by its client are all counted the same way.
 */
import { type ErrorCode, toGatewayError } from '../errors/catalogue.ts';
import type { Lease } from '../pool/attempt-types.ts';
import type { CanonicalUsage } from '../protocols/canonical/types.ts';

export interface RelayFacts {
  /** Upstream attempts over the whole request (the thinking-free retry included). */
  attempts: number;
  /** The account of the last attempt. */
  accountId?: string;
  /** Milliseconds spent on upstream calls, summed over every attempt, the streamed answer included. */
  upstreamMs?: number;
  /** The latest usage the upstream reported, also for an answer the client did not wait for. */
  usage?: CanonicalUsage;
  /** Why the request failed, also after the commit point (in-band) and when the client went away. */
  errorCode?: ErrorCode;
}

export interface FactsRecorder {
  attemptStarted(lease: Lease): void;
  upstreamTime(ms: number): void;
  usage(usage: CanonicalUsage): void;
  failed(code: ErrorCode): void;
}

export function recorderFor(facts: RelayFacts): FactsRecorder {
  return {
    attemptStarted(lease) {
      facts.attempts += 1;
      facts.accountId = lease.accountId;
    },
    upstreamTime(ms) {
      facts.upstreamMs = (facts.upstreamMs ?? 0) + Math.max(0, ms);
    },
    usage(usage) {
      facts.usage = usage;
    },
    failed(code) {
      facts.errorCode = code;
    },
  };
}

/** Runs `work`, recording why it failed: the client's leaving, or the error it threw. */
export async function recordingFailure<T>(
  recorder: FactsRecorder,
  signal: AbortSignal,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    recorder.failed(signal.aborted ? 'AGW_CLIENT_CLOSED' : toGatewayError(error).code);
    throw error;
  }
}
