/**
 * Canonical events → one Anthropic Messages JSON body, for `stream: false` requests. Folds the same events the
 * stream encoder emits, so thinking signatures (also signature-only blocks) and tool_use blocks survive
 * (weakness 5). A failed or truncated answer becomes a thrown GatewayError: nothing was sent yet, so the server can
 * still retry or answer with a proper error status.
 */
import { type ErrorCode, GatewayError } from '../../errors/catalogue.ts';
import type { CanonicalEvent } from '../canonical/types.ts';
import {
  type AnthropicUsage,
  createMessagesEventEncoder,
  type MessagesEncoderOptions,
  type StopReason,
} from './event-encoder.ts';

export type ResponseContentBlock =
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface MessagesResponse {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: ResponseContentBlock[];
  stop_reason: StopReason;
  stop_sequence: null;
  usage: AnthropicUsage;
}

/** Builds the JSON answer; throws GatewayError when the events end in an error or without a finish. */
export function buildMessagesResponse(
  events: readonly CanonicalEvent[],
  options: MessagesEncoderOptions,
): MessagesResponse {
  const encoder = createMessagesEventEncoder(options);
  const streamed = [...events.flatMap((event) => encoder.push(event)), ...encoder.end()];
  const blocks = new Map<number, ResponseContentBlock>();
  const partialJson = new Map<number, string>();
  let stopReason: StopReason = 'end_turn';
  let usage: AnthropicUsage | undefined;

  for (const event of streamed) {
    switch (event.type) {
      case 'content_block_start': {
        const block = event.content_block;
        blocks.set(event.index, block.type === 'tool_use' ? { ...block, input: {} } : { ...block });
        break;
      }
      case 'content_block_delta': {
        const block = blocks.get(event.index);
        const delta = event.delta;
        if (block?.type === 'thinking' && delta.type === 'thinking_delta') block.thinking += delta.thinking;
        else if (block?.type === 'thinking' && delta.type === 'signature_delta') block.signature = delta.signature;
        else if (block?.type === 'text' && delta.type === 'text_delta') block.text += delta.text;
        else if (delta.type === 'input_json_delta')
          partialJson.set(event.index, (partialJson.get(event.index) ?? '') + delta.partial_json);
        break;
      }
      case 'message_start':
        usage = event.message.usage;
        break;
      case 'message_delta':
        stopReason = event.delta.stop_reason;
        usage = event.usage;
        break;
      case 'error':
        throw failure(events, event.error.message);
      default:
        break;
    }
  }
  for (const [index, json] of partialJson) {
    const block = blocks.get(index);
    if (block?.type === 'tool_use') block.input = JSON.parse(json) as Record<string, unknown>;
  }
  return {
    id: options.messageId,
    type: 'message',
    role: 'assistant',
    model: options.clientModel,
    content: [...blocks.entries()].sort(([left], [right]) => left - right).map(([, block]) => block),
    stop_reason: stopReason,
    stop_sequence: null,
    usage: usage ?? { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
  };
}

function failure(events: readonly CanonicalEvent[], message: string): GatewayError {
  const errorEvent = events.find((event) => event.type === 'error');
  const code: ErrorCode =
    errorEvent !== undefined
      ? errorEvent.code
      : !events.some((event) => event.type === 'finish')
        ? 'AGW_UPSTREAM_STREAM_BROKEN'
        : 'AGW_UPSTREAM_SERVER_ERROR';
  return new GatewayError(code, message);
}
