/**
 * What the relay needs from the rest of the gateway, as narrow ports: the pool's rotation loop, one upstream call,
 * two metrics and a clock. The server passes its services; tests can pass fakes.
 */
import type { AttemptFunction, ExecuteRequest } from '../pool/attempt-types.ts';
import type { UpstreamCall, UpstreamResponse } from '../upstream/client.ts';

export interface RelayPool {
  execute<T>(request: ExecuteRequest, attempt: AttemptFunction<T>): Promise<T>;
}

/** One v1internal call (`upstream/client.ts`); it never retries (the rotation loop is the only retry loop). */
export interface UpstreamCaller {
  call(call: UpstreamCall): Promise<UpstreamResponse>;
}

export interface RelayMetrics {
  /** Every upstream 429, by classified reason, also those the pool waits out on the same account. */
  recordUpstream429(reason: string): void;
  recordHeartbeat(): void;
}

export interface RelayServices {
  pool: RelayPool;
  upstream: UpstreamCaller;
  metrics: RelayMetrics;
  now(): number;
  /**
   * Whether this account may pay with Google One AI credits once its free quota for a model is spent: the opt-in
   * setting is on and its last snapshot reported a usable balance. Absent: never.
   */
  mayPayWithCredits?(accountId: string): boolean;
}
