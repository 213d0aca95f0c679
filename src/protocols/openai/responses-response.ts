/**
 * Canonical events → a non-stream Responses object, and the answer of `POST /v1/responses/compact`.
 *
 * The object is the one the stream encoder's terminal event carries, so a streamed and a non-stream answer to the
 * same events are the same response.
 */
import { collectEvents } from '../canonical/envelope.ts';
import type { CanonicalEvent } from '../canonical/types.ts';
import { gatewayErrorFromEvent } from './errors.ts';
import type { ResponsesInputItem } from './responses-schema.ts';
import {
  createResponsesStreamEncoder,
  type ResponseObject,
  type ResponsesStreamOptions,
  type ResponsesUsage,
} from './responses-stream.ts';

/**
 * Builds the JSON answer. A stream that failed or ended without a finish throws its GatewayError instead of
 * answering 200 with a partial response.
 */
export function buildResponsesResponse(
  events: readonly CanonicalEvent[],
  options: ResponsesStreamOptions,
): ResponseObject {
  const collected = collectEvents(events);
  if (collected.error !== undefined) throw gatewayErrorFromEvent(collected.error.code, collected.error.message);
  if (collected.finish === undefined) {
    throw gatewayErrorFromEvent('AGW_UPSTREAM_STREAM_BROKEN', 'The answer ended without a finish reason.');
  }
  const encoder = createResponsesStreamEncoder(options);
  for (const event of events) encoder.push(event);
  encoder.end();
  return encoder.response() as ResponseObject;
}

export interface CompactionResponse {
  id: string;
  object: 'response.compaction';
  created_at: number;
  /** The history that replaces the compacted one: the user's own messages, then the summary. */
  output: Array<Record<string, unknown>>;
  usage: ResponsesUsage | null;
}

/**
 * The answer of `/v1/responses/compact`: the user messages of the conversation are kept as they were (they say what
 * was asked), everything else is replaced by one `compaction` item holding the summary.
 */
export function buildCompactionResponse(
  events: readonly CanonicalEvent[],
  options: ResponsesStreamOptions,
  items: readonly ResponsesInputItem[],
): CompactionResponse {
  const response = buildResponsesResponse(events, { ...options, compaction: true });
  const kept = items.filter((item) => (item.type ?? 'message') === 'message' && item.role === 'user');
  return {
    id: response.id,
    object: 'response.compaction',
    created_at: response.created_at,
    output: [...kept.map((item) => ({ ...item, type: 'message' })), ...response.output],
    usage: response.usage,
  };
}
