/**
 * Canonical events → a non-stream legacy `text_completion` body.
 */
import { collectEvents } from '../canonical/envelope.ts';
import type { CanonicalEvent } from '../canonical/types.ts';
import { inlineDataMarkdown, toOpenAiFinishReason } from './chat-stream.ts';
import { type CompletionsUsage, toCompletionsUsage } from './completions-stream.ts';
import { gatewayErrorFromEvent } from './errors.ts';

export interface CompletionsResponseOptions {
  id: string;
  created: number;
  model: string;
  /** `echo`: the prompt, put before the completion. */
  echoPrompt?: string;
}

export interface TextCompletion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: Array<{ text: string; index: 0; logprobs: null; finish_reason: string }>;
  usage: CompletionsUsage;
}

/** Builds the JSON answer; a failed or truncated answer throws its GatewayError instead of answering 200. */
export function buildTextCompletion(
  events: Iterable<CanonicalEvent>,
  options: CompletionsResponseOptions,
): TextCompletion {
  const message = collectEvents(events);
  if (message.error !== undefined) throw gatewayErrorFromEvent(message.error.code, message.error.message);
  if (message.finish === undefined) {
    throw gatewayErrorFromEvent('AGW_UPSTREAM_STREAM_BROKEN', 'The answer ended without a finish reason.');
  }
  let text = options.echoPrompt ?? '';
  for (const block of message.blocks) {
    if (block.type === 'text') text += block.text;
    if (block.type === 'inline-data') text += inlineDataMarkdown(block.mimeType, block.data);
  }
  return {
    id: options.id,
    object: 'text_completion',
    created: options.created,
    model: options.model,
    choices: [{ text, index: 0, logprobs: null, finish_reason: toOpenAiFinishReason(message.finish.reason) }],
    usage: toCompletionsUsage(message.usage),
  };
}
