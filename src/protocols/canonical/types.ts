/**
 * The canonical layer every protocol translates through.
 *
 * Requests: each client protocol (OpenAI, Anthropic, Gemini) becomes a `CanonicalRequest` whose `request` is the
 * Gemini-format body that v1internal wraps. Responses: upstream chunks are decoded once into a stream of
 * `CanonicalEvent`s, and each protocol encodes those events into its own SSE frames or JSON body.
 * Names follow `<noun>-<verb>`; this file changes rarely.
 */
import type { ErrorCode } from '../../errors/catalogue.ts';

/** A Gemini `Part` as v1internal accepts it. Unknown keys are carried through untouched. */
export interface GeminiPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType?: string; fileUri: string };
  functionCall?: { name: string; args?: Record<string, unknown>; id?: string };
  functionResponse?: { name: string; response: Record<string, unknown>; id?: string };
  [key: string]: unknown;
}

export interface GeminiContent {
  role: 'user' | 'model' | string;
  parts: GeminiPart[];
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string | null;
  parameters?: Record<string, unknown>;
}

export interface GeminiTool {
  functionDeclarations?: GeminiFunctionDeclaration[];
  googleSearch?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface GeminiGenerationConfig {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxOutputTokens?: number;
  candidateCount?: number;
  stopSequences?: string[];
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  responseMimeType?: string;
  responseSchema?: Record<string, unknown>;
  responseJsonSchema?: Record<string, unknown>;
  thinkingConfig?: { includeThoughts?: boolean; thinkingBudget?: number; thinkingLevel?: string };
  [key: string]: unknown;
}

/** The inner `request` object of a v1internal generate envelope. */
export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: { role?: string; parts: GeminiPart[] };
  tools?: GeminiTool[];
  toolConfig?: { functionCallingConfig?: { mode: string; allowedFunctionNames?: string[] } };
  generationConfig?: GeminiGenerationConfig;
  safetySettings?: Array<{ category: string; threshold: string }>;
  sessionId?: string;
  [key: string]: unknown;
}

export type ClientProtocol = 'openai' | 'anthropic' | 'gemini';

/** What a protocol's request translator produces; the server adds account, project and envelope. */
export interface CanonicalRequest {
  protocol: ClientProtocol;
  /** The model name the client asked for (after nothing). */
  clientModel: string;
  /** Upstream model after mapping (`protocols/models.ts`). */
  upstreamModel: string;
  stream: boolean;
  /** Stable key for sticky sessions and signature caches: explicit session header, Anthropic user id, or a hash. */
  sessionKey: string;
  request: GeminiRequest;
  /** Tool names the client declared, for mapping tool calls back. */
  toolNames: string[];
}

export type FinishReason = 'stop' | 'max-tokens' | 'safety' | 'tool-calls' | 'error' | 'other';

export interface CanonicalUsage {
  inputTokens: number;
  /** Everything generated, thinking included (OpenAI's completion_tokens and Anthropic's output_tokens both count it). */
  outputTokens: number;
  /** The thinking part of outputTokens. */
  thoughtTokens: number;
  cachedTokens: number;
  totalTokens: number;
}

/** The kinds of block that arrive in pieces; tool calls and inline data arrive whole (see their events). */
export type StreamedBlockKind = 'thinking' | 'text';

/**
 * One step of an answer. An answer is a sequence of blocks, numbered from 0 in order and never interleaved:
 * a streamed block is `block-start`, its deltas, `block-end`; a tool call or inline data is one event that is a
 * whole block. Every block started is ended before the next starts and before `finish` or `error`. Encoders can
 * rely on this shape (docs/architecture.md), which the decoder's property tests pin down.
 */
export type CanonicalEvent =
  | { type: 'message-start'; id: string; model: string }
  | { type: 'block-start'; index: number; kind: StreamedBlockKind }
  /** Text of the open thinking block. */
  | { type: 'thinking-delta'; text: string }
  /** Signature of the open thinking block (a signature-only block has no delta); the block ends right after. */
  | { type: 'thinking-signature'; signature: string }
  /** Text of the open text block. */
  | { type: 'text-delta'; text: string }
  | { type: 'block-end'; index: number }
  /** A whole tool-call block. */
  | {
      type: 'tool-call';
      index: number;
      id: string;
      name: string;
      arguments: Record<string, unknown>;
      signature?: string;
    }
  /** A whole inline-data block (an image the model generated). */
  | { type: 'inline-data'; index: number; mimeType: string; data: string }
  | { type: 'usage'; usage: CanonicalUsage }
  /** `rawReason` is Gemini's finishReason (e.g. `STOP`, `MAX_TOKENS`, `SAFETY`). */
  | { type: 'finish'; reason: FinishReason; rawReason: string }
  /** The answer failed (a truncated or broken upstream stream); encoders end the stream cleanly after it. */
  | { type: 'error'; code: ErrorCode; message: string };

/** Events that are part of the answer itself; the first one received commits a stream (docs/architecture.md). */
export function isContentEvent(event: CanonicalEvent): boolean {
  return event.type !== 'message-start' && event.type !== 'usage' && event.type !== 'error';
}
