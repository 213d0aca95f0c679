/**
 * A pure server-sent-events reader for the upstream `streamGenerateContent?alt=sse` body.
 *
 * Unlike the reference parsers it joins multi-line `data:` fields, accepts CRLF, LF and CR line ends, survives
 * frames (and multi-byte characters) split across network chunks, and flushes a final frame that lacks the
 * trailing blank line instead of silently dropping it.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseFrame {
  event?: string;
  data: string;
}

/** Parses an SSE byte or text stream into frames, in order. Comments and `retry:` lines are dropped. */
export async function* parseSse(source: AsyncIterable<Uint8Array | string>): AsyncIterable<SseFrame> {
  const decoder = new TextDecoder('utf-8');
  let pending: SseFrame[] = [];
  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      pending.push(message.event === undefined ? { data: message.data } : { event: message.event, data: message.data });
    },
  });
  for await (const chunk of source) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (text.length > 0) parser.feed(text);
    if (pending.length > 0) {
      const ready = pending;
      pending = [];
      yield* ready;
    }
  }
  const rest = decoder.decode();
  if (rest.length > 0) parser.feed(rest);
  // A blank line ends whatever frame is still open; an already-closed stream gets only empty lines, which
  // dispatch nothing.
  parser.feed('\n\n');
  yield* pending;
}

/**
 * Parses a frame's data as JSON. Returns `undefined` for the `[DONE]` sentinel and for empty data; throws
 * SyntaxError for anything else that is not JSON so the caller decides whether that is fatal.
 */
export function parseJsonData(frame: SseFrame): unknown {
  const data = frame.data.trim();
  if (data === '' || data === '[DONE]') return undefined;
  return JSON.parse(data) as unknown;
}
