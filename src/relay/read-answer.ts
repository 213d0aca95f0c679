/**
 * Reading a 200 `streamGenerateContent` answer inside an attempt, up to the commit point (streams: the first
 * content event) or to its end (collected answers). Everything read so far is kept, so the caller forwards it
 * once committed. An error body, a stream that ends before content, or (collected) a truncated answer is a failure
 * the rotation loop classifies: nothing reached the client yet.
 */
import type { AttemptResult } from '../pool/attempt-types.ts';
import { type CanonicalEvent, isContentEvent } from '../protocols/canonical/types.ts';
import {
  createUpstreamDecoder,
  type DecoderOptions,
  isUpstreamErrorBody,
  type UpstreamDecoder,
} from '../protocols/canonical/upstream-decoder.ts';
import type { UpstreamResponse } from '../upstream/client.ts';
import { failed } from './attempt.ts';
import { upstreamChunks } from './upstream-chunks.ts';

export interface ReadAnswer {
  /** Canonical events decoded so far. */
  events: CanonicalEvent[];
  /** The raw chunks they came from (the Gemini pass-through forwards these). */
  chunks: unknown[];
  /** The rest of the upstream stream (empty once read to the end). */
  rest: AsyncGenerator<unknown, void, undefined>;
  decoder: UpstreamDecoder;
}

export type ReadUntil = 'first-content' | 'end';

/** Bytes of a 200 body kept to explain an answer that held no SSE frame. */
const headLimitBytes = 4096;

async function* keepHead(body: AsyncIterable<Uint8Array>, head: { text: string }): AsyncGenerator<Uint8Array> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of body) {
    if (head.text.length < headLimitBytes)
      head.text += decoder.decode(chunk.subarray(0, headLimitBytes), { stream: true });
    yield chunk;
  }
}

export async function readAnswer(
  answer: UpstreamResponse,
  until: ReadUntil,
  options: DecoderOptions = {},
): Promise<AttemptResult<ReadAnswer>> {
  // The first bytes are kept: Google sometimes answers 200 with a bare text or JSON body instead of SSE (e.g. "This
  // version of Antigravity is no longer supported…"), which is an error to classify, never an empty completion.
  const head = { text: '' };
  const rest = upstreamChunks(keepHead(answer.body, head));
  const decoder = createUpstreamDecoder(options);
  const events: CanonicalEvent[] = [];
  const chunks: unknown[] = [];
  const httpFailure = (bodyText: string) =>
    failed({ kind: 'http', status: 200, headers: answer.headers, bodyText, committed: false });
  for (;;) {
    const next = await rest.next();
    if (next.done === true) break;
    const chunk = next.value;
    if (isUpstreamErrorBody(chunk)) return httpFailure(JSON.stringify(chunk));
    chunks.push(chunk);
    const decoded = decoder.push(chunk);
    events.push(...decoded);
    if (until === 'first-content' && decoded.some(isContentEvent))
      return { ok: true, value: { events, chunks, rest, decoder } };
  }
  if (chunks.length === 0 && head.text.trim() !== '') return httpFailure(head.text.trim());
  if (until === 'first-content') return httpFailure('upstream stream ended without any content');
  events.push(...decoder.end());
  const broken = events.find((event) => event.type === 'error');
  // A truncated answer is retried on another account: the client has seen nothing of it.
  if (broken !== undefined) return failed({ kind: 'network', message: broken.message, committed: false });
  return { ok: true, value: { events, chunks, rest, decoder } };
}
