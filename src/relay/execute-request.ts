/** What the rotation loop is told about a generation request: model, session, cancellation and fingerprint. */
import { createHash } from 'node:crypto';
import type { ExecuteRequest } from '../pool/attempt-types.ts';
import type { CanonicalRequest } from '../protocols/canonical/types.ts';

/** A stable hash of what the client asked, for poisoned-request detection. */
export function requestFingerprint(canonical: CanonicalRequest): string {
  return createHash('sha256')
    .update(canonical.upstreamModel)
    .update(JSON.stringify(canonical.request.contents))
    .update(JSON.stringify(canonical.request.systemInstruction ?? null))
    .digest('hex')
    .slice(0, 32);
}

export function executeRequestFor(canonical: CanonicalRequest, signal: AbortSignal): ExecuteRequest {
  return {
    model: canonical.upstreamModel,
    sessionKey: canonical.sessionKey,
    signal,
    // Lazy: a large prompt is only hashed when a failure (or a request under watch) needs its fingerprint.
    requestFingerprint: () => requestFingerprint(canonical),
  };
}
