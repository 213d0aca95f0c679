/**
 * The upstream rejects a request whose thought signatures it cannot verify (stale cache, a signature from another
 * account, a conversation edited by the client, earlier tool calls sent without their thinking). Such a request is
 * retried exactly once without any thinking, whatever the client's dialect; the guard below owns the "once" so no
 * caller can forget to set a flag (weakness 1 of the reference).
 */
import { type ModelFamily, modelFamily } from '../models.ts';
import { skipSignatureSentinel } from './safety.ts';
import type { CanonicalRequest, GeminiContent, GeminiPart } from './types.ts';

/**
 * Returns copies of `contents` without thought parts and without signatures. Gemini function calls keep working
 * without their signature only through the sentinel (Gemini's documented way to send a call whose signature is
 * unknown), so they get it; other families get no signature at all, since the sentinel would be a forged
 * signature to them. Contents left without parts are removed.
 */
export function stripThinking(contents: readonly GeminiContent[], family: ModelFamily): GeminiContent[] {
  const result: GeminiContent[] = [];
  for (const content of contents) {
    const parts: GeminiPart[] = [];
    for (const part of content.parts) {
      if (part.thought === true) continue;
      const { thoughtSignature: _signature, thought_signature: _snakeSignature, ...rest } = part;
      if (rest.functionCall !== undefined && family === 'gemini') rest.thoughtSignature = skipSignatureSentinel;
      if (Object.keys(rest).length > 0) parts.push(rest);
    }
    if (parts.length > 0) result.push({ ...content, parts });
  }
  return result;
}

const signatureErrorMarkers = [
  'invalid `signature`',
  'invalid signature',
  'thinking.signature',
  'thinking.thinking',
  'corrupted thought signature',
  'thought_signature',
  'thoughtsignature',
  'expected `thinking`',
  "expected 'thinking'",
  'must be `thinking`',
  "must be 'thinking'",
  'found `text`',
  "found 'text'",
];

/** Whether an upstream answer is a rejection of the request's thinking signatures (always a 400). */
export function isSignatureError(status: number, bodyText: string): boolean {
  if (status !== 400) return false;
  const text = bodyText.toLowerCase();
  return signatureErrorMarkers.some((marker) => text.includes(marker));
}

/**
 * A copy of `request` without thought parts, signatures or thinking configuration. Gemini function calls get the
 * skip-validation sentinel instead of their signature.
 */
export function withoutThinking<Request extends CanonicalRequest>(request: Request): Request {
  const family = modelFamily(request.upstreamModel);
  const { thinkingConfig: _thinking, ...generationConfig } = request.request.generationConfig ?? {};
  const gemini = { ...request.request, contents: stripThinking(request.request.contents, family) };
  if (request.request.generationConfig !== undefined) gemini.generationConfig = generationConfig;
  const result: Request = { ...request, request: gemini };
  if ('thinkingEnabled' in result) (result as { thinkingEnabled: boolean }).thinkingEnabled = false;
  return result;
}

export interface SignatureRetryGuard {
  /**
   * The request to retry with when `status`/`bodyText` is a signature error and no signature retry happened yet for
   * this client request; undefined otherwise (the error is then the client's answer).
   */
  retryFor<Request extends CanonicalRequest>(request: Request, status: number, bodyText: string): Request | undefined;
  /** Whether the one signature retry has been used. */
  readonly retried: boolean;
}

/** One guard per client request: it hands out at most one thinking-free retry. */
class SignatureRetry implements SignatureRetryGuard {
  #retried = false;

  retryFor<Request extends CanonicalRequest>(request: Request, status: number, bodyText: string): Request | undefined {
    if (this.#retried || !isSignatureError(status, bodyText)) return undefined;
    this.#retried = true;
    return withoutThinking(request);
  }

  get retried(): boolean {
    return this.#retried;
  }
}

export function createSignatureRetryGuard(): SignatureRetryGuard {
  return new SignatureRetry();
}
