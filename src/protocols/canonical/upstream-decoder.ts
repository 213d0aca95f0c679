/**
 * v1internal response chunks (wrapped `{response: …}` or bare) → canonical events.
 *
 * One decoder per upstream response. Only candidate 0 is read (the gateway never asks for more than one).
 * A stream that ends without a finishReason is reported as an `error` event, never as a normal stop, so a
 * truncated answer is visible to the client. Parts become blocks (types.ts): consecutive thinking or text parts
 * extend the open block, a change of kind ends it, a thinking signature ends its block, and tool calls and inline
 * data are whole blocks of their own.
 */
import { createHash } from 'node:crypto';
import type { ErrorCode } from '../../errors/catalogue.ts';
import type { CanonicalEvent, CanonicalUsage, FinishReason, StreamedBlockKind } from './types.ts';
import { type PlaceholderArguments, withoutPlaceholder } from './validated-tools.ts';

export interface UpstreamDecoder {
  /** One parsed JSON chunk (a `data:` payload of the upstream SSE stream, or a whole non-stream body). */
  push(chunk: unknown): CanonicalEvent[];
  /** The upstream ended; returns closing events (an `error` event when no finish was seen). */
  end(): CanonicalEvent[];
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `body.response ?? body`, as every upstream consumer reads it. */
export function unwrapResponse(chunk: unknown): JsonObject | undefined {
  if (!isObject(chunk)) return undefined;
  return isObject(chunk['response']) ? chunk['response'] : chunk;
}

const safetyReasons = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
  'LANGUAGE',
]);

/** Maps Gemini's finishReason; a tool call in the answer turns a normal stop into `tool-calls`. */
export function mapFinishReason(rawReason: string, toolCallSeen: boolean): FinishReason {
  if (rawReason === 'MAX_TOKENS') return 'max-tokens';
  if (safetyReasons.has(rawReason)) return 'safety';
  if (toolCallSeen) return 'tool-calls';
  if (rawReason === 'STOP' || rawReason === 'FINISH_REASON_UNSPECIFIED') return 'stop';
  return 'other';
}

function numberField(source: JsonObject, ...names: string[]): number | undefined {
  for (const name of names) {
    const value = source[name];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
}

/**
 * Reads `usageMetadata` in both the legacy camelCase and the newer snake_case shape. Output tokens include
 * thought tokens: they are billed as output and clients budget by them.
 */
export function readUsage(metadata: unknown): CanonicalUsage | undefined {
  if (!isObject(metadata)) return undefined;
  const snakeInput = numberField(metadata, 'total_input_tokens');
  const snakeOutput = numberField(metadata, 'total_output_tokens');
  if (snakeInput !== undefined || snakeOutput !== undefined) {
    const thoughtTokens = numberField(metadata, 'total_thought_tokens') ?? 0;
    const toolUse = numberField(metadata, 'total_tool_use_tokens') ?? 0;
    const inputTokens = snakeInput ?? 0;
    const outputTokens = (snakeOutput ?? 0) + thoughtTokens + toolUse;
    return {
      inputTokens,
      outputTokens,
      thoughtTokens,
      cachedTokens: numberField(metadata, 'total_cached_tokens') ?? 0,
      totalTokens: numberField(metadata, 'total_tokens') ?? inputTokens + outputTokens,
    };
  }
  const prompt = numberField(metadata, 'promptTokenCount', 'prompt_token_count') ?? 0;
  const toolPrompt = numberField(metadata, 'toolUsePromptTokenCount', 'tool_use_prompt_token_count') ?? 0;
  const candidates = numberField(metadata, 'candidatesTokenCount', 'candidates_token_count') ?? 0;
  const thoughtTokens = numberField(metadata, 'thoughtsTokenCount', 'thoughts_token_count') ?? 0;
  const inputTokens = prompt + toolPrompt;
  const outputTokens = candidates + thoughtTokens;
  return {
    inputTokens,
    outputTokens,
    thoughtTokens,
    cachedTokens: numberField(metadata, 'cachedContentTokenCount', 'cached_content_token_count') ?? 0,
    totalTokens: numberField(metadata, 'totalTokenCount', 'total_token_count') ?? inputTokens + outputTokens,
  };
}

/** Deterministic id for a tool call the upstream sent without one. */
export function toolCallId(name: string, args: unknown): string {
  const digest = createHash('sha256')
    .update(`${name}\u0000${JSON.stringify(args ?? {})}`)
    .digest('hex');
  return `call_${digest.slice(0, 24)}`;
}

function signatureOf(part: JsonObject): string | undefined {
  const signature = part['thoughtSignature'] ?? part['thought_signature'];
  return typeof signature === 'string' && signature.length > 0 ? signature : undefined;
}

export interface UpstreamErrorInfo {
  /** HTTP-like code from the body (`error.code`), when present. */
  code?: number;
  /** Google RPC status name (`RESOURCE_EXHAUSTED`, …), when present. */
  status?: string;
  message: string;
}

/**
 * Reads an error out of an upstream body that should have been an answer: a JSON `{error: …}` object (also
 * inside an array, or wrapped in `response`), or a non-JSON, non-SSE text. Returns undefined for real answers.
 */
export function readUpstreamError(body: unknown): UpstreamErrorInfo | undefined {
  if (typeof body === 'string') {
    const text = body.trim();
    if (text === '') return { message: 'upstream answered with an empty body' };
    if (text.startsWith('data:') || text.startsWith(':') || text.startsWith('event:')) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { message: text.slice(0, 500) };
    }
    return readUpstreamError(parsed);
  }
  if (Array.isArray(body)) return body.length > 0 ? readUpstreamError(body[0]) : undefined;
  const response = unwrapResponse(body);
  if (response === undefined) return { message: 'upstream answered with a body that is not an object' };
  const error = response['error'];
  if (error === undefined || error === null) return undefined;
  if (typeof error === 'string') return { message: error };
  if (!isObject(error)) return { message: JSON.stringify(error) };
  const info: UpstreamErrorInfo = {
    message: typeof error['message'] === 'string' ? error['message'] : JSON.stringify(error),
  };
  if (typeof error['code'] === 'number') info.code = error['code'];
  if (typeof error['status'] === 'string') info.status = error['status'];
  return info;
}

/** True when an upstream body (parsed JSON or raw text) is an error although the HTTP status said success. */
export function isUpstreamErrorBody(body: unknown): boolean {
  return readUpstreamError(body) !== undefined;
}

function errorCodeFor(info: UpstreamErrorInfo): ErrorCode {
  if (info.code === 429 || info.status === 'RESOURCE_EXHAUSTED') return 'AGW_UPSTREAM_RATE_LIMITED';
  if (info.code === 400 || info.status === 'INVALID_ARGUMENT') return 'AGW_UPSTREAM_BAD_REQUEST';
  return 'AGW_UPSTREAM_SERVER_ERROR';
}

function sameUsage(left: CanonicalUsage | undefined, right: CanonicalUsage): boolean {
  return (
    left !== undefined &&
    left.inputTokens === right.inputTokens &&
    left.outputTokens === right.outputTokens &&
    left.thoughtTokens === right.thoughtTokens &&
    left.cachedTokens === right.cachedTokens &&
    left.totalTokens === right.totalTokens
  );
}

export interface DecoderOptions {
  /** Placeholder arguments the envelope added to tools (validated-tools.ts); removed from returned calls. */
  placeholders?: PlaceholderArguments;
}

/** Creates a stateful decoder for one upstream response. */
export function createUpstreamDecoder(options: DecoderOptions = {}): UpstreamDecoder {
  const placeholders: PlaceholderArguments = options.placeholders ?? new Map();
  let started = false;
  let finished = false;
  let failed = false;
  let toolCallSeen = false;
  let lastUsage: CanonicalUsage | undefined;
  const seenToolCalls = new Set<string>();
  let open: { kind: StreamedBlockKind; index: number } | undefined;
  let nextIndex = 0;

  function endBlock(events: CanonicalEvent[]): void {
    if (open === undefined) return;
    events.push({ type: 'block-end', index: open.index });
    open = undefined;
  }

  function openBlock(events: CanonicalEvent[], kind: StreamedBlockKind): void {
    if (open?.kind === kind) return;
    endBlock(events);
    open = { kind, index: nextIndex++ };
    events.push({ type: 'block-start', index: open.index, kind });
  }

  /** The index of a block that arrives whole, after ending the open one. */
  function wholeBlock(events: CanonicalEvent[]): number {
    endBlock(events);
    return nextIndex++;
  }

  function appendText(events: CanonicalEvent[], text: string): void {
    openBlock(events, 'text');
    events.push({ type: 'text-delta', text });
  }

  /** A signature ends its thinking block; one without thinking before it is a signature-only block. */
  function appendSignature(events: CanonicalEvent[], signature: string): void {
    openBlock(events, 'thinking');
    events.push({ type: 'thinking-signature', signature });
    endBlock(events);
  }

  function decodePart(part: JsonObject, events: CanonicalEvent[]): void {
    const signature = signatureOf(part);
    const functionCall = part['functionCall'];
    if (isObject(functionCall) && typeof functionCall['name'] === 'string') {
      const name = functionCall['name'];
      const args = withoutPlaceholder(name, isObject(functionCall['args']) ? functionCall['args'] : {}, placeholders);
      const upstreamId = typeof functionCall['id'] === 'string' && functionCall['id'] !== '' ? functionCall['id'] : '';
      const key = upstreamId !== '' ? `id:${upstreamId}` : `call:${name}:${JSON.stringify(args)}`;
      if (seenToolCalls.has(key)) return;
      seenToolCalls.add(key);
      toolCallSeen = true;
      const event: CanonicalEvent = {
        type: 'tool-call',
        index: wholeBlock(events),
        id: upstreamId !== '' ? upstreamId : toolCallId(name, args),
        name,
        arguments: args,
      };
      if (signature !== undefined) event.signature = signature;
      events.push(event);
      return;
    }
    const inlineData = part['inlineData'] ?? part['inline_data'];
    if (isObject(inlineData) && typeof inlineData['data'] === 'string') {
      const mimeType = inlineData['mimeType'] ?? inlineData['mime_type'];
      events.push({
        type: 'inline-data',
        index: wholeBlock(events),
        mimeType: typeof mimeType === 'string' ? mimeType : 'application/octet-stream',
        data: inlineData['data'],
      });
      return;
    }
    const executableCode = part['executableCode'];
    if (isObject(executableCode) && typeof executableCode['code'] === 'string') {
      const language = typeof executableCode['language'] === 'string' ? executableCode['language'].toLowerCase() : '';
      appendText(events, `\n\`\`\`${language}\n${executableCode['code']}\n\`\`\`\n`);
      return;
    }
    const codeResult = part['codeExecutionResult'];
    if (isObject(codeResult) && typeof codeResult['output'] === 'string') {
      appendText(events, `\n\`\`\`output\n${codeResult['output']}\n\`\`\`\n`);
      return;
    }
    const text = typeof part['text'] === 'string' ? part['text'] : '';
    if (part['thought'] === true) {
      if (text !== '') {
        openBlock(events, 'thinking');
        events.push({ type: 'thinking-delta', text });
      }
      if (signature !== undefined) appendSignature(events, signature);
      return;
    }
    if (text !== '') {
      appendText(events, text);
      return;
    }
    // A signature-only empty text part closes the preceding thinking block.
    if (signature !== undefined) appendSignature(events, signature);
  }

  return {
    push(chunk) {
      if (failed) return [];
      const events: CanonicalEvent[] = [];
      const upstreamError = Array.isArray(chunk) || isObject(chunk) ? readUpstreamError(chunk) : undefined;
      if (upstreamError !== undefined) {
        failed = true;
        endBlock(events);
        events.push({ type: 'error', code: errorCodeFor(upstreamError), message: upstreamError.message });
        return events;
      }
      const response = unwrapResponse(chunk);
      if (response === undefined) return [];
      if (finished) {
        // Only a late usage update is meaningful after the finish.
        const lateUsage = readUsage(response['usageMetadata'] ?? response['usage_metadata']);
        if (lateUsage === undefined || sameUsage(lastUsage, lateUsage)) return [];
        lastUsage = lateUsage;
        return [{ type: 'usage', usage: lateUsage }];
      }
      if (!started) {
        started = true;
        const id = response['responseId'] ?? response['response_id'];
        const model = response['modelVersion'] ?? response['model_version'];
        events.push({
          type: 'message-start',
          id: typeof id === 'string' ? id : '',
          model: typeof model === 'string' ? model : '',
        });
      }
      // Usage before the parts of its chunk, so an answer's start already knows the prompt's size.
      const usage = readUsage(response['usageMetadata'] ?? response['usage_metadata']);
      if (usage !== undefined && !sameUsage(lastUsage, usage)) {
        lastUsage = usage;
        events.push({ type: 'usage', usage });
      }
      const candidates = Array.isArray(response['candidates']) ? response['candidates'] : [];
      const candidate: unknown = candidates[0];
      let rawFinish: string | undefined;
      if (isObject(candidate)) {
        const content = candidate['content'];
        const parts = isObject(content) && Array.isArray(content['parts']) ? content['parts'] : [];
        for (const part of parts) if (isObject(part)) decodePart(part, events);
        if (typeof candidate['finishReason'] === 'string' && candidate['finishReason'] !== '') {
          rawFinish = candidate['finishReason'];
        }
      } else {
        const feedback = response['promptFeedback'];
        if (isObject(feedback) && typeof feedback['blockReason'] === 'string') rawFinish = feedback['blockReason'];
      }
      if (rawFinish !== undefined) {
        finished = true;
        endBlock(events);
        const reason = candidates.length === 0 ? 'safety' : mapFinishReason(rawFinish, toolCallSeen);
        events.push({ type: 'finish', reason, rawReason: rawFinish });
      }
      return events;
    },
    end() {
      if (failed || finished) return [];
      failed = true;
      const events: CanonicalEvent[] = [];
      endBlock(events);
      events.push({
        type: 'error',
        code: 'AGW_UPSTREAM_STREAM_BROKEN',
        message: started
          ? 'The upstream stream ended without a finish reason; the answer is truncated.'
          : 'The upstream stream ended before any answer was received.',
      });
      return events;
    },
  };
}
