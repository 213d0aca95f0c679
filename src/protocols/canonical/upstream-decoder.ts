/**
 * v1internal response chunks (wrapped `{response: …}` or bare) → canonical events. Owned by the protocols work;
 * this is a placeholder signature.
 */
import type { CanonicalEvent } from './types.ts';

export interface UpstreamDecoder {
  /** One parsed JSON chunk (a `data:` payload of the upstream SSE stream, or a whole non-stream body). */
  push(chunk: unknown): CanonicalEvent[];
  /** The upstream ended; returns closing events (e.g. a finish when none was seen). */
  end(): CanonicalEvent[];
}

export function createUpstreamDecoder(): UpstreamDecoder {
  return { push: () => [], end: () => [] };
}
