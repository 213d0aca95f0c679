/**
 * Canonical events → legacy `text_completion` SSE chunks, ending in `data: [DONE]`. Thinking is not part of a
 * completion's text and is left out; an in-band failure is an OpenAI error object before `[DONE]`, as in chat.
 */
import type { CanonicalEvent, CanonicalUsage } from '../canonical/types.ts';
import { closingFrames, inlineDataMarkdown, sseData, toOpenAiFinishReason } from './chat-stream.ts';
import { gatewayErrorFromEvent, openAiErrorBody } from './errors.ts';

export interface CompletionsStreamOptions {
  /** `cmpl-…` id shared by all chunks. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The model name the client asked for. */
  model: string;
  includeUsage: boolean;
  /** `echo`: the prompt, sent as the first text. */
  echoPrompt?: string;
}

export interface CompletionsUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function toCompletionsUsage(usage: CanonicalUsage | undefined): CompletionsUsage {
  return {
    prompt_tokens: usage?.inputTokens ?? 0,
    completion_tokens: usage?.outputTokens ?? 0,
    total_tokens: usage?.totalTokens ?? 0,
  };
}

export interface CompletionsStreamEncoder {
  push(event: CanonicalEvent): string[];
  end(): string[];
}

export function createCompletionsStreamEncoder(options: CompletionsStreamOptions): CompletionsStreamEncoder {
  let echoed = options.echoPrompt === undefined;
  let finished = false;
  let done = false;
  let usage: CanonicalUsage | undefined;

  function chunk(text: string, finishReason: string | null = null): string {
    return sseData({
      id: options.id,
      object: 'text_completion',
      created: options.created,
      model: options.model,
      choices: [{ text, index: 0, logprobs: null, finish_reason: finishReason }],
    });
  }

  function text(frames: string[], value: string): void {
    if (!echoed) {
      echoed = true;
      value = `${options.echoPrompt ?? ''}${value}`;
    }
    if (value !== '') frames.push(chunk(value));
  }

  return {
    push(event) {
      if (done) return [];
      const frames: string[] = [];
      switch (event.type) {
        case 'text-delta':
          text(frames, event.text);
          break;
        case 'inline-data':
          text(frames, inlineDataMarkdown(event.mimeType, event.data));
          break;
        case 'usage':
          usage = event.usage;
          break;
        case 'finish':
          if (finished) break;
          finished = true;
          text(frames, '');
          frames.push(chunk('', toOpenAiFinishReason(event.reason)));
          break;
        case 'error':
          done = true;
          frames.push(sseData(openAiErrorBody(gatewayErrorFromEvent(event.code, event.message))));
          frames.push(sseData('[DONE]'));
          break;
        default:
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
          object: 'text_completion',
          created: options.created,
          model: options.model,
          choices: [],
          usage: toCompletionsUsage(usage),
        }),
        options.includeUsage,
      );
    },
  };
}
