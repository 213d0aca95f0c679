/**
 * Canonical events → OpenAI `chat.completion.chunk` SSE frames.
 */
import type { CanonicalEvent, CanonicalUsage, FinishReason } from '../canonical/types.ts';
import { gatewayErrorFromEvent, openAiErrorBody } from './errors.ts';

export interface ChatStreamOptions {
  /** `chatcmpl-…` id shared by all chunks. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The model name the client asked for. */
  model: string;
  /** `stream_options.include_usage`. */
  includeUsage: boolean;
}

export interface ChatStreamEncoder {
  /** Frames (`data: …\n\n`) to write for one event. */
  push(event: CanonicalEvent): string[];
  /** Closing frames: the usage chunk when asked for, then `data: [DONE]`. */
  end(): string[];
}

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

/** Completion tokens include reasoning tokens, as OpenAI reports them. */
export function toOpenAiUsage(usage: CanonicalUsage): OpenAiUsage {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
    completion_tokens_details: { reasoning_tokens: usage.thoughtTokens },
  };
}

/** OpenAI has no reason for "other"; the raw upstream reason is not a valid OpenAI value, so it becomes stop. */
export function toOpenAiFinishReason(reason: FinishReason): string {
  switch (reason) {
    case 'max-tokens':
      return 'length';
    case 'tool-calls':
      return 'tool_calls';
    case 'safety':
      return 'content_filter';
    default:
      return 'stop';
  }
}

export function sseData(payload: unknown): string {
  return `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
}

/** Markdown image for inline data, since chat messages have no binary content type. */
export function inlineDataMarkdown(mimeType: string, data: string): string {
  return `![image](data:${mimeType};base64,${data})`;
}

/** Creates the encoder for one streamed chat completion. */
export function createChatStreamEncoder(options: ChatStreamOptions): ChatStreamEncoder {
  let started = false;
  let done = false;
  let finished = false;
  let toolIndex = 0;
  let usage: CanonicalUsage | undefined;

  function chunk(delta: Record<string, unknown>, finishReason: string | null = null): string {
    return sseData({
      id: options.id,
      object: 'chat.completion.chunk',
      created: options.created,
      model: options.model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    });
  }

  function start(frames: string[]): void {
    if (started) return;
    started = true;
    frames.push(chunk({ role: 'assistant', content: '' }));
  }

  return {
    push(event) {
      if (done) return [];
      const frames: string[] = [];
      switch (event.type) {
        case 'message-start':
          start(frames);
          break;
        case 'block-start':
        case 'block-end':
          // Chat chunks have no block framing: deltas carry their kind.
          break;
        case 'thinking-delta':
          start(frames);
          frames.push(chunk({ reasoning_content: event.text }));
          break;
        case 'thinking-signature':
          break;
        case 'text-delta':
          start(frames);
          frames.push(chunk({ content: event.text }));
          break;
        case 'inline-data':
          start(frames);
          frames.push(chunk({ content: inlineDataMarkdown(event.mimeType, event.data) }));
          break;
        case 'tool-call':
          start(frames);
          frames.push(
            chunk({
              tool_calls: [
                {
                  index: toolIndex,
                  id: event.id,
                  type: 'function',
                  function: { name: event.name, arguments: JSON.stringify(event.arguments) },
                },
              ],
            }),
          );
          toolIndex += 1;
          break;
        case 'usage':
          usage = event.usage;
          break;
        case 'finish':
          if (finished) break;
          finished = true;
          start(frames);
          frames.push(chunk({}, toOpenAiFinishReason(event.reason)));
          break;
        case 'error':
          done = true;
          frames.push(sseData(openAiErrorBody(gatewayErrorFromEvent(event.code, event.message))));
          frames.push(sseData('[DONE]'));
          break;
      }
      return frames;
    },
    end() {
      if (done) return [];
      done = true;
      return closingFrames(
        finished,
        () => ({
          id: options.id,
          object: 'chat.completion.chunk',
          created: options.created,
          model: options.model,
          choices: [],
          usage: toOpenAiUsage(
            usage ?? { inputTokens: 0, outputTokens: 0, thoughtTokens: 0, cachedTokens: 0, totalTokens: 0 },
          ),
        }),
        options.includeUsage,
      );
    },
  };
}

/**
 * The end of an OpenAI stream (chat or legacy completions): a truncation error when no finish reason came — the
 * client must see it — else the usage chunk when asked for; then `[DONE]`.
 */
export function closingFrames(finished: boolean, usageChunk: () => unknown, includeUsage: boolean): string[] {
  const frames: string[] = [];
  if (!finished) {
    const error = gatewayErrorFromEvent('AGW_UPSTREAM_STREAM_BROKEN', 'The answer ended without a finish reason.');
    frames.push(sseData(openAiErrorBody(error)));
  } else if (includeUsage) {
    frames.push(sseData(usageChunk()));
  }
  frames.push(sseData('[DONE]'));
  return frames;
}
