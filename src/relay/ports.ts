/**
 * What the relay needs from the rest of the gateway, as narrow ports: the pool's rotation loop, one upstream call,
 * two metrics and a clock. The server passes its services; tests can pass fakes.
 */
import type { AttemptFunction, ExecuteRequest } from '../pool/attempt-types.ts';

export interface RelayPool {
  execute<T>(request: ExecuteRequest, attempt: AttemptFunction<T>): Promise<T>;
}

export interface UpstreamCallOptions {
  method: string;
  query?: string;
  accessToken: string;
  body: unknown;
  projectId?: string;
  model?: string;
  signal?: AbortSignal;
}

export interface UpstreamAnswer {
  status: number;
  headers: Record<string, string>;
  /** Iterated once, or destroyed to give the connection back. */
  body: AsyncIterable<Uint8Array> & { destroy?(): void };
  text(): Promise<string>;
}

/** One v1internal call; it never retries (the rotation loop is the only retry loop). */
export interface UpstreamCaller {
  call(options: UpstreamCallOptions): Promise<UpstreamAnswer>;
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
}
