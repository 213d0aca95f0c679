/**
 * The Anthropic Messages dialect: request validation and translation to the canonical request, answers as SSE or
 * JSON, errors, token estimates, background-task routing and the thinking-signature bookkeeping.
 */

export { type ModelFamily, modelFamily } from '../models.ts';
export { type BackgroundTaskKind, detectBackgroundTask, isWarmupRequest } from './background-task.ts';
export { countTokens } from './count-tokens.ts';
export {
  type AnthropicErrorBody,
  anthropicErrorBody,
  anthropicErrorResponse,
  anthropicErrorType,
} from './error-body.ts';
export { type AnthropicStreamEvent, createMessagesEventEncoder, type MessagesEncoderOptions } from './event-encoder.ts';
export {
  type CountTokensRequest,
  type MessagesRequest,
  type ParseOptions,
  parseCountTokensRequest,
  parseMessagesRequest,
} from './request-schema.ts';
export { type AnthropicCanonicalRequest, type TranslationOptions, toCanonicalRequest } from './request-translator.ts';
export { buildMessagesResponse, type MessagesResponse } from './response-builder.ts';
export { createSignatureStore, type SignatureStore, type SignatureStoreOptions } from './signature-store.ts';
export { createMessagesStreamEncoder, type MessagesStreamEncoder, sseFrame } from './stream-encoder.ts';
