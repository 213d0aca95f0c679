/**
 * Canonical events → a non-stream OpenAI `chat.completion` body.
 */
import { collectEvents } from '../canonical/envelope.ts';
import type { CanonicalEvent } from '../canonical/types.ts';
import { inlineDataMarkdown, type OpenAiUsage, toOpenAiFinishReason, toOpenAiUsage } from './chat-stream.ts';
import { gatewayErrorFromEvent } from './errors.ts';

export interface ChatCompletionOptions {
  id: string;
  created: number;
  model: string;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: 0;
    message: {
      role: 'assistant';
      content: string | null;
      reasoning_content?: string;
      tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
    };
    finish_reason: string;
  }>;
  usage: OpenAiUsage;
}

/**
 * Builds the JSON answer. A stream that failed or ended without a finish throws its GatewayError instead of
 * answering 200 with a partial message.
 */
export function buildChatCompletion(events: Iterable<CanonicalEvent>, options: ChatCompletionOptions): ChatCompletion {
  const message = collectEvents(events);
  if (message.error !== undefined) throw gatewayErrorFromEvent(message.error.code, message.error.message);
  if (message.finish === undefined) {
    throw gatewayErrorFromEvent('AGW_UPSTREAM_STREAM_BROKEN', 'The answer ended without a finish reason.');
  }
  let content = '';
  for (const block of message.blocks) {
    if (block.type === 'text') content += block.text;
    if (block.type === 'inline-data') content += inlineDataMarkdown(block.mimeType, block.data);
  }
  const choiceMessage: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: content === '' && message.toolCalls.length > 0 ? null : content,
  };
  if (message.thinking !== '') choiceMessage.reasoning_content = message.thinking;
  if (message.toolCalls.length > 0) {
    choiceMessage.tool_calls = message.toolCalls.map((call) => ({
      id: call.id,
      type: 'function' as const,
      function: { name: call.name, arguments: JSON.stringify(call.arguments) },
    }));
  }
  return {
    id: options.id,
    object: 'chat.completion',
    created: options.created,
    model: options.model,
    choices: [{ index: 0, message: choiceMessage, finish_reason: toOpenAiFinishReason(message.finish.reason) }],
    usage: toOpenAiUsage(
      message.usage ?? { inputTokens: 0, outputTokens: 0, thoughtTokens: 0, cachedTokens: 0, totalTokens: 0 },
    ),
  };
}
