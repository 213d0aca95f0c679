/**
 * Canonical events → Anthropic Messages stream events (as objects). The SSE encoder serialises them and the
 * non-stream builder folds them, so both answers always agree. Guarantees: `message_start` first (with usage and the
 * client's model name), every block started is stopped, exactly one `message_delta`, `message_stop` last — or, on
 * failure, one `error` event last and no invented `end_turn`. Canonical blocks map one to one onto content blocks
 * (inline data becomes a text block holding a markdown image); a delta outside its block opens one, so a sequence
 * that skipped a `block-start` still encodes well formed.
 */
import { type ErrorCode, errorCatalogue } from '../../errors/catalogue.ts';
import type { CanonicalEvent, CanonicalUsage, FinishReason } from '../canonical/types.ts';
import type { ModelFamily } from '../models.ts';
import { anthropicErrorType } from './error-body.ts';
import type { SignatureStore } from './signature-store.ts';

export type StopReason = 'end_turn' | 'max_tokens' | 'tool_use' | 'stop_sequence' | 'refusal';

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

export type ContentBlockStart =
  | { type: 'thinking'; thinking: ''; signature: '' }
  | { type: 'text'; text: '' }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, never> };

export type ContentBlockDelta =
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string }
  | { type: 'text_delta'; text: string }
  | { type: 'input_json_delta'; partial_json: string };

export type AnthropicStreamEvent =
  | {
      type: 'message_start';
      message: {
        id: string;
        type: 'message';
        role: 'assistant';
        content: [];
        model: string;
        stop_reason: null;
        stop_sequence: null;
        usage: AnthropicUsage;
      };
    }
  | { type: 'content_block_start'; index: number; content_block: ContentBlockStart }
  | { type: 'content_block_delta'; index: number; delta: ContentBlockDelta }
  | { type: 'content_block_stop'; index: number }
  | {
      type: 'message_delta';
      delta: { stop_reason: StopReason; stop_sequence: null };
      usage: AnthropicUsage;
    }
  | { type: 'message_stop' }
  | { type: 'error'; error: { type: 'api_error' | 'overloaded_error'; message: string } };

export interface MessagesEncoderOptions {
  messageId: string;
  /** The model name the client asked for; Anthropic clients match on it, so the upstream name is not shown. */
  clientModel: string;
  signatureStore: SignatureStore;
  sessionKey: string;
  accountId: string;
  /** Family of the upstream model; recorded with every signature so it is only ever replayed to that family. */
  family: ModelFamily;
}

export interface MessagesEventEncoder {
  push(event: CanonicalEvent): AnthropicStreamEvent[];
  /** The upstream ended; closes the message (or reports the truncation as an error). Idempotent. */
  end(): AnthropicStreamEvent[];
  /** Whether the message is complete (message_stop or error sent); later pushes are ignored. */
  readonly done: boolean;
}

/** Gemini finish reasons meaning the output was withheld, which Anthropic calls a refusal. */
const blockedReasons = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);
const truncatedMessage = 'The upstream stream ended before the answer was complete.';

/** Creates the state machine for one answer. */
export function createMessagesEventEncoder(options: MessagesEncoderOptions): MessagesEventEncoder {
  let started = false;
  let nextIndex = 0;
  let open: { kind: 'thinking' | 'text'; index: number } | undefined;
  let heldSignature: string | undefined;
  let usage: CanonicalUsage | undefined;
  let finish: { reason: FinishReason; rawReason: string } | undefined;
  let sawToolUse = false;

  const start = (out: AnthropicStreamEvent[]): void => {
    if (started) return;
    started = true;
    out.push({
      type: 'message_start',
      message: {
        id: options.messageId,
        type: 'message',
        role: 'assistant',
        content: [],
        model: options.clientModel,
        stop_reason: null,
        stop_sequence: null,
        usage: { ...anthropicUsage(usage), output_tokens: 0 },
      },
    });
  };

  const close = (out: AnthropicStreamEvent[]): void => {
    if (open === undefined) return;
    if (open.kind === 'thinking' && heldSignature !== undefined)
      out.push({
        type: 'content_block_delta',
        index: open.index,
        delta: { type: 'signature_delta', signature: heldSignature },
      });
    out.push({ type: 'content_block_stop', index: open.index });
    open = undefined;
    heldSignature = undefined;
  };

  const openBlock = (out: AnthropicStreamEvent[], kind: 'thinking' | 'text'): number => {
    if (open?.kind === kind) return open.index;
    close(out);
    const index = nextIndex++;
    open = { kind, index };
    out.push({
      type: 'content_block_start',
      index,
      content_block:
        kind === 'thinking' ? { type: 'thinking', thinking: '', signature: '' } : { type: 'text', text: '' },
    });
    return index;
  };

  const fail = (out: AnthropicStreamEvent[], code: ErrorCode, message: string): void => {
    start(out);
    close(out);
    out.push({ type: 'error', error: { type: streamErrorType(code), message } });
    encoder.done = true;
  };

  const appendText = (out: AnthropicStreamEvent[], text: string): void => {
    if (text === '') return;
    start(out);
    const index = openBlock(out, 'text');
    out.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
  };

  const handlers = {
    'message-start': () => {},
    usage: (_out: AnthropicStreamEvent[], event: Extract<CanonicalEvent, { type: 'usage' }>) => {
      usage = event.usage;
    },
    'block-start': (out: AnthropicStreamEvent[], event: Extract<CanonicalEvent, { type: 'block-start' }>) => {
      start(out);
      close(out);
      openBlock(out, event.kind);
    },
    'block-end': (out: AnthropicStreamEvent[]) => {
      close(out);
    },
    'thinking-delta': (out: AnthropicStreamEvent[], event: Extract<CanonicalEvent, { type: 'thinking-delta' }>) => {
      if (event.text === '' && open?.kind === 'thinking') return;
      start(out);
      const index = openBlock(out, 'thinking');
      if (event.text !== '')
        out.push({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: event.text } });
    },
    'thinking-signature': (
      out: AnthropicStreamEvent[],
      event: Extract<CanonicalEvent, { type: 'thinking-signature' }>,
    ) => {
      if (event.signature === '') return;
      options.signatureStore.remember(options.sessionKey, options.accountId, options.family, event.signature);
      start(out);
      // Sent as the block's last delta when it stops; a signature-only block is opened here.
      openBlock(out, 'thinking');
      heldSignature = event.signature;
    },
    'text-delta': (out: AnthropicStreamEvent[], event: Extract<CanonicalEvent, { type: 'text-delta' }>) => {
      appendText(out, event.text);
    },
    'inline-data': (out: AnthropicStreamEvent[], event: Extract<CanonicalEvent, { type: 'inline-data' }>) => {
      // Anthropic answers cannot carry images; a data-URI markdown image is what clients can render.
      start(out);
      close(out);
      appendText(out, `![image](data:${event.mimeType};base64,${event.data})`);
      close(out);
    },
    'tool-call': (out: AnthropicStreamEvent[], event: Extract<CanonicalEvent, { type: 'tool-call' }>) => {
      start(out);
      close(out);
      const index = nextIndex++;
      const id = event.id !== '' ? event.id : `toolu_${options.messageId}_${index}`;
      if (event.signature !== undefined && event.signature !== '')
        options.signatureStore.remember(options.sessionKey, options.accountId, options.family, event.signature, id);
      out.push({
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id, name: event.name, input: {} },
      });
      if (Object.keys(event.arguments).length > 0)
        out.push({
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: JSON.stringify(event.arguments) },
        });
      out.push({ type: 'content_block_stop', index });
      sawToolUse = true;
    },
    finish: (out: AnthropicStreamEvent[], event: Extract<CanonicalEvent, { type: 'finish' }>) => {
      if (event.reason === 'error' || event.rawReason === 'MALFORMED_FUNCTION_CALL') {
        fail(out, 'AGW_UPSTREAM_SERVER_ERROR', `The upstream model stopped with an error (${event.rawReason}).`);
        return;
      }
      finish = { reason: event.reason, rawReason: event.rawReason };
      start(out);
      close(out);
    },
    error: (out: AnthropicStreamEvent[], event: Extract<CanonicalEvent, { type: 'error' }>) => {
      fail(out, event.code, event.message);
    },
  };

  // `done` is a plain property the functions set, not a getter: an object literal with an accessor, made per
  // answer, gets a hidden class of its own and keeps this whole scope past young-generation GCs
  // (test/source/young-garbage.test.ts).
  const encoder: MessagesEventEncoder & { done: boolean } = {
    push(event) {
      if (encoder.done) return [];
      const out: AnthropicStreamEvent[] = [];
      (handlers[event.type] as (out: AnthropicStreamEvent[], event: CanonicalEvent) => void)(out, event);
      return out;
    },
    end() {
      if (encoder.done) return [];
      const out: AnthropicStreamEvent[] = [];
      if (finish === undefined) {
        // No finish reason means the answer was cut off; saying end_turn would hide that (weakness 7).
        fail(out, 'AGW_UPSTREAM_STREAM_BROKEN', truncatedMessage);
        return out;
      }
      start(out);
      close(out);
      out.push({
        type: 'message_delta',
        delta: { stop_reason: stopReason(finish, sawToolUse), stop_sequence: null },
        usage: anthropicUsage(usage),
      });
      out.push({ type: 'message_stop' });
      encoder.done = true;
      return out;
    },
    done: false,
  };
  return encoder;
}

function stopReason(finish: { reason: FinishReason; rawReason: string }, sawToolUse: boolean): StopReason {
  if (finish.reason === 'max-tokens') return 'max_tokens';
  if (finish.reason === 'safety' || blockedReasons.has(finish.rawReason)) return 'refusal';
  if (sawToolUse || finish.reason === 'tool-calls') return 'tool_use';
  if (finish.rawReason === 'STOP_SEQUENCE') return 'stop_sequence';
  return 'end_turn';
}

/** Canonical output tokens already include thinking tokens (the decoder adds them; weakness 19). */
function anthropicUsage(usage: CanonicalUsage | undefined): AnthropicUsage {
  if (usage === undefined)
    return { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  return {
    input_tokens: Math.max(0, usage.inputTokens - usage.cachedTokens),
    output_tokens: usage.outputTokens,
    cache_read_input_tokens: usage.cachedTokens,
    cache_creation_input_tokens: 0,
  };
}

function streamErrorType(code: ErrorCode): 'api_error' | 'overloaded_error' {
  const status: number = errorCatalogue[code].status;
  return anthropicErrorType(status) === 'overloaded_error' || status === 429 ? 'overloaded_error' : 'api_error';
}
