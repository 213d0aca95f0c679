/**
 * v1internal answers → Gemini-native answers: stream chunks are unwrapped and re-emitted, non-stream answers
 * are merged from the chunks, and errors leave in Gemini's own `{error:{code,message,status}}` shape (never as
 * OpenAI chunks).
 */
import { GatewayError } from '../../errors/catalogue.ts';
import { readUpstreamError, unwrapResponse } from '../canonical/upstream-decoder.ts';

type JsonObject = Record<string, unknown>;

export interface GeminiErrorBody {
  error: { code: number; message: string; status: string };
}

/** Google RPC status name for an HTTP status. */
export function geminiStatusName(status: number): string {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 405) return 'UNIMPLEMENTED';
  if (status === 408 || status === 504) return 'DEADLINE_EXCEEDED';
  if (status === 429) return 'RESOURCE_EXHAUSTED';
  if (status >= 400 && status < 500) return 'INVALID_ARGUMENT';
  if (status === 502 || status === 503) return 'UNAVAILABLE';
  return 'INTERNAL';
}

/** The JSON body to send with `error.status`. */
export function geminiErrorBody(error: GatewayError): GeminiErrorBody {
  return { error: { code: error.status, message: error.message, status: geminiStatusName(error.status) } };
}

/** The `response` value of an upstream chunk (`traceId` and the wrapper dropped). */
export function unwrapUpstreamChunk(chunk: unknown): JsonObject | undefined {
  return unwrapResponse(chunk);
}

/** One SSE frame as Google's own API writes it. */
export function geminiStreamFrame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\r\n\r\n`;
}

/** The in-band error frame after the stream has started. */
export function geminiErrorFrame(error: GatewayError): string {
  return geminiStreamFrame(geminiErrorBody(error));
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeParts(parts: JsonObject[]): JsonObject[] {
  const merged: JsonObject[] = [];
  for (const part of parts) {
    const last = merged.at(-1);
    const mergeable =
      last !== undefined &&
      typeof last['text'] === 'string' &&
      typeof part['text'] === 'string' &&
      Object.keys(part).every((key) => ['text', 'thought', 'thoughtSignature'].includes(key)) &&
      Object.keys(last).every((key) => ['text', 'thought'].includes(key)) &&
      (last['thought'] === true) === (part['thought'] === true);
    if (mergeable) {
      // A signature closes the run it ends, so it stays on the merged part.
      last['text'] = `${last['text'] as string}${part['text'] as string}`;
      if (typeof part['thoughtSignature'] === 'string') last['thoughtSignature'] = part['thoughtSignature'];
    } else {
      merged.push({ ...part });
    }
  }
  return merged;
}

/**
 * Merges streamed upstream chunks into one `generateContent` answer. Adjacent text parts of the same kind are
 * joined; signatures and other parts are kept. Throws when a chunk is an error or no finish reason arrived.
 */
export function buildGenerateResponse(chunks: Iterable<unknown>): JsonObject {
  const parts: JsonObject[] = [];
  let finishReason: string | undefined;
  let usageMetadata: unknown;
  let modelVersion: unknown;
  let responseId: unknown;
  let role = 'model';
  const extras: JsonObject = {};
  let promptFeedback: unknown;
  for (const chunk of chunks) {
    const error = readUpstreamError(chunk);
    if (error !== undefined) {
      throw new GatewayError(
        error.code === 429 ? 'AGW_UPSTREAM_RATE_LIMITED' : 'AGW_UPSTREAM_SERVER_ERROR',
        error.message,
      );
    }
    const response = unwrapResponse(chunk);
    if (response === undefined) continue;
    modelVersion = response['modelVersion'] ?? modelVersion;
    responseId = response['responseId'] ?? responseId;
    usageMetadata = response['usageMetadata'] ?? usageMetadata;
    promptFeedback = response['promptFeedback'] ?? promptFeedback;
    const candidate = Array.isArray(response['candidates']) ? response['candidates'][0] : undefined;
    if (!isObject(candidate)) continue;
    const content = candidate['content'];
    if (isObject(content)) {
      if (typeof content['role'] === 'string') role = content['role'];
      if (Array.isArray(content['parts'])) for (const part of content['parts']) if (isObject(part)) parts.push(part);
    }
    if (typeof candidate['finishReason'] === 'string') finishReason = candidate['finishReason'];
    for (const key of ['groundingMetadata', 'citationMetadata', 'safetyRatings']) {
      if (candidate[key] !== undefined) extras[key] = candidate[key];
    }
  }
  if (finishReason === undefined && promptFeedback === undefined) {
    throw new GatewayError('AGW_UPSTREAM_STREAM_BROKEN', 'The answer ended without a finish reason.');
  }
  const answer: JsonObject = {};
  if (finishReason !== undefined) {
    answer['candidates'] = [{ content: { role, parts: mergeParts(parts) }, finishReason, index: 0, ...extras }];
  }
  if (promptFeedback !== undefined) answer['promptFeedback'] = promptFeedback;
  if (usageMetadata !== undefined) answer['usageMetadata'] = usageMetadata;
  if (modelVersion !== undefined) answer['modelVersion'] = modelVersion;
  if (responseId !== undefined) answer['responseId'] = responseId;
  return answer;
}

export interface GeminiModelEntry {
  name: string;
  version: string;
  displayName: string;
  description: string;
  inputTokenLimit: number;
  outputTokenLimit: number;
  supportedGenerationMethods: string[];
}

/** One entry of `GET /v1beta/models`, also the body of `GET /v1beta/models/{id}`. */
export function geminiModel(id: string): GeminiModelEntry {
  return {
    name: `models/${id}`,
    version: '001',
    displayName: id,
    description: '',
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'],
  };
}

/** The `GET /v1beta/models` body. */
export function geminiModelList(ids: readonly string[]): { models: GeminiModelEntry[] } {
  return { models: ids.map(geminiModel) };
}
