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

/** The first bytes of a body, kept as they came: decoded only when the answer turns out not to be SSE. */
interface Head {
  pieces: Uint8Array[];
  size: number;
}

async function* keepHead(body: AsyncIterable<Uint8Array>, head: Head): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    if (head.size < headLimitBytes) {
      const piece = chunk.subarray(0, headLimitBytes - head.size);
      head.pieces.push(piece);
      head.size += piece.length;
    }
    yield chunk;
  }
}

function headText(head: Head): string {
  return Buffer.concat(head.pieces, head.size).toString('utf8');
}

export async function readAnswer(
  answer: UpstreamResponse,
  until: ReadUntil,
  options: DecoderOptions = {},
): Promise<AttemptResult<ReadAnswer>> {
  // The first bytes are kept: Google sometimes answers 200 with a bare text or JSON body instead of SSE (e.g. "This
  // version of Antigravity is no longer supported…"), which is an error to classify, never an empty completion.
  // Kept as bytes: decoding every answer's head only to explain the rare one without SSE was work on every call.
  const head: Head = { pieces: [], size: 0 };
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
  if (chunks.length === 0) {
    const text = headText(head).trim();
    if (text !== '') return httpFailure(text);
  }
  if (until === 'first-content') return httpFailure('upstream stream ended without any content');
  events.push(...decoder.end());
  const broken = events.find((event) => event.type === 'error');
  // A truncated answer is retried on another account: the client has seen nothing of it.
  if (broken !== undefined) return failed({ kind: 'network', message: broken.message, committed: false });
  return { ok: true, value: { events, chunks, rest, decoder } };
}
