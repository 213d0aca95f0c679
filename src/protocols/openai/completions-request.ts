/**
 * Legacy completions request → canonical request: the prompt becomes one user turn, and the sampling settings follow
 * the chat translator's rules. A thinking model may still think; its thoughts never reach the completion text.
 */
import { defaultSafetySettings } from '../canonical/safety.ts';
import type { CanonicalRequest, GeminiRequest } from '../canonical/types.ts';
import { resolveModel } from '../models.ts';
import { deriveSessionKey } from '../session-key.ts';
import { generationConfig } from './chat-request.ts';
import type { ChatRequest } from './chat-schema.ts';
import { type CompletionsRequest, promptOf } from './completions-schema.ts';

export interface CompletionsTranslationOptions {
  customMapping: Readonly<Record<string, string>>;
  /** Retired upstream id → its replacement (`deprecatedModelIds`; protocols/models.ts). */
  modelForwarding?: Readonly<Record<string, string>>;
  /** Explicit session id from a request header. */
  sessionHeader?: string;
}

export interface CompletionsCanonicalRequest extends CanonicalRequest {
  /** `stream_options.include_usage`: the stream ends with a usage-only chunk. */
  includeUsage: boolean;
}

export function toCompletionsCanonicalRequest(
  body: CompletionsRequest,
  options: CompletionsTranslationOptions,
): CompletionsCanonicalRequest {
  const { upstreamModel } = resolveModel(body.model, {
    customMapping: options.customMapping,
    forwarding: options.modelForwarding ?? {},
  });
  const prompt = promptOf(body);
  const chat: ChatRequest = { model: body.model, messages: [] };
  if (typeof body.temperature === 'number') chat.temperature = body.temperature;
  if (typeof body.top_p === 'number') chat.top_p = body.top_p;
  if (typeof body.max_tokens === 'number') chat.max_tokens = body.max_tokens;
  if (typeof body.presence_penalty === 'number') chat.presence_penalty = body.presence_penalty;
  if (typeof body.frequency_penalty === 'number') chat.frequency_penalty = body.frequency_penalty;
  if (typeof body.seed === 'number') chat.seed = body.seed;
  if (body.stop !== undefined && body.stop !== null) chat.stop = body.stop;
  const request: GeminiRequest = { contents: [{ role: 'user', parts: [{ text: prompt === '' ? ' ' : prompt }] }] };
  const config = generationConfig(chat, upstreamModel);
  if (Object.keys(config).length > 0) request.generationConfig = config;
  request.safetySettings = defaultSafetySettings.map((setting) => ({ ...setting }));
  return {
    protocol: 'openai',
    clientModel: body.model,
    upstreamModel,
    stream: body.stream === true,
    sessionKey: deriveSessionKey({ explicit: options.sessionHeader, texts: [prompt] }),
    request,
    toolNames: [],
    includeUsage: body.stream_options?.include_usage === true,
  };
}
