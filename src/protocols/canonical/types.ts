/**
 * The canonical layer every protocol translates through.
 *
 * Requests: each client protocol (OpenAI, Anthropic, Gemini) becomes a `CanonicalRequest` whose `request` is the
 * Gemini-format body that v1internal wraps. Responses: upstream chunks are decoded once into a stream of
 * `CanonicalEvent`s, and each protocol encodes those events into its own SSE frames or JSON body.
 * Names follow `<noun>-<verb>`; this file changes rarely.
 */

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

export type CanonicalEvent =
  | { type: 'message-start'; id: string; model: string }
  | { type: 'thinking-delta'; text: string }
  /** Signature for the thinking block just streamed (or a signature-only part). */
  | { type: 'thinking-signature'; signature: string }
  | { type: 'text-delta'; text: string }
  | { type: 'tool-call'; id: string; name: string; arguments: Record<string, unknown>; signature?: string }
  | { type: 'inline-data'; mimeType: string; data: string }
  | { type: 'usage'; usage: CanonicalUsage }
  /** `rawReason` is Gemini's finishReason (e.g. `STOP`, `MAX_TOKENS`, `SAFETY`). */
  | { type: 'finish'; reason: FinishReason; rawReason: string }
  /** In-band failure after the commit point; the encoder ends the stream cleanly after it. */
  | { type: 'error'; code: string; message: string };
