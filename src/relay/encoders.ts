/**
 * What a route gives the relay to turn an answer into its dialect's frames. Two explicit paths: canonical events
 * (OpenAI, Anthropic, and most future dialects), or the upstream chunks themselves (Gemini's native API, which
 * forwards Google's own chunks and only needs its error frame).
 */
import type { ErrorCode } from '../errors/catalogue.ts';
import type { CanonicalEvent } from '../protocols/canonical/types.ts';

/** Canonical events in, SSE frames out. An `error` event ends the answer; `end()` closes it (idempotent). */
export interface StreamEncoder {
  push(event: CanonicalEvent): string[];
  end(): string[];
}

/** Upstream chunks in, SSE frames out; `fail` is the in-band error frame. */
export interface PassthroughEncoder {
  pushChunk(chunk: unknown): string[];
  fail(code: ErrorCode, message: string): string[];
  end(): string[];
}

export type StreamOutput =
  /** `accountId` is the serving account, or '' when the stream failed before one answered. */
  | { kind: 'events'; createEncoder(accountId: string): StreamEncoder }
  | { kind: 'passthrough'; createEncoder(): PassthroughEncoder };
