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

export async function readAnswer(
  answer: UpstreamResponse,
  until: ReadUntil,
  options: DecoderOptions = {},
): Promise<AttemptResult<ReadAnswer>> {
  const rest = upstreamChunks(answer.body);
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
  if (until === 'first-content') return httpFailure('upstream stream ended without any content');
  events.push(...decoder.end());
  const broken = events.find((event) => event.type === 'error');
  // A truncated answer is retried on another account: the client has seen nothing of it.
  if (broken !== undefined) return failed({ kind: 'network', message: broken.message, committed: false });
  return { ok: true, value: { events, chunks, rest, decoder } };
}
