/**
 * OpenAI Chat Completions request → canonical request (a Gemini-format body for v1internal).
 */
import { GatewayError } from '../../errors/catalogue.ts';
import { defaultSafetySettings, skipSignatureSentinel } from '../canonical/safety.ts';
import type {
  CanonicalRequest,
  GeminiContent,
  GeminiFunctionDeclaration,
  GeminiGenerationConfig,
  GeminiPart,
  GeminiRequest,
  GeminiTool,
} from '../canonical/types.ts';
import { isThinkingModel, modelFamily, outputLimit, resolveModel } from '../models.ts';
import { remoteUrlProblem } from '../remote-url.ts';
import { fixToolArguments, sanitizeToolSchema } from '../schema-sanitizer.ts';
import { deriveSessionKey } from '../session-key.ts';
import type { ChatContentPart, ChatMessage, ChatRequest } from './chat-schema.ts';

export interface ChatTranslationOptions {
  customMapping: Readonly<Record<string, string>>;
  /** Retired upstream id → its replacement (`deprecatedModelIds`; protocols/models.ts). */
  modelForwarding?: Readonly<Record<string, string>>;
  /** When false (the default), http(s) image URLs are refused with AGW_FORBIDDEN_URL. */
  allowRemoteImages?: boolean;
  /** Explicit session id from a request header. */
  sessionHeader?: string;
}

export interface OpenAiCanonicalRequest extends CanonicalRequest {
  /** `stream_options.include_usage`: the stream ends with a usage-only chunk. */
  includeUsage: boolean;
  /** Messages in the client conversation, for the envelope's request id. */
  messageCount: number;
}

/** Thinking budgets (tokens) for `reasoning_effort`; see docs/models.md. */
export const reasoningBudgets = { minimal: 1024, low: 1024, medium: 8192, high: 24576, xhigh: 32768 } as const;

/** Budget used when a thinking model is asked without `reasoning_effort` and the upstream needs a number. */
export const defaultClaudeThinkingBudget = 8192;

/** Claude upstreams reject thinking budgets below this. */
const minimumClaudeBudget = 1024;

const webSearchToolNames = new Set([
  'web_search',
  'google_search',
  'web_search_20250305',
  'google_search_retrieval',
  'builtin_web_search',
]);

type JsonObject = Record<string, unknown>;

function invalid(message: string): GatewayError {
  return new GatewayError('AGW_INVALID_REQUEST', message);
}

function guessImageMime(url: string): string {
  const path = url.split(/[?#]/)[0]?.toLowerCase() ?? '';
  if (path.endsWith('.png')) return 'image/png';
  if (path.endsWith('.gif')) return 'image/gif';
  if (path.endsWith('.webp')) return 'image/webp';
  return 'image/jpeg';
}

export const dataUrlPattern = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s;

/**
 * An image reference → a Gemini part. Only data URLs and (when allowed) http(s) URLs; anything else is refused,
 * in particular strings that look like local paths are never read.
 */
export function imagePart(url: string, allowRemote: boolean, field: string): GeminiPart {
  const data = dataUrlPattern.exec(url);
  if (data !== null) return { inlineData: { mimeType: data[1] as string, data: data[2] as string } };
  if (/^https?:\/\//i.test(url)) {
    if (!allowRemote) {
      throw new GatewayError('AGW_FORBIDDEN_URL', `${field}: remote image URLs are disabled; send a data: URL`);
    }
    const problem = remoteUrlProblem(url);
    if (problem !== undefined) throw new GatewayError('AGW_FORBIDDEN_URL', `${field}: the URL ${problem}`);
    return { fileData: { fileUri: url, mimeType: guessImageMime(url) } };
  }
  throw invalid(`${field}: must be a data: URL (base64) or an http(s) URL`);
}

function contentParts(
  content: ChatMessage['content'],
  allowRemote: boolean,
  field: string,
): { parts: GeminiPart[]; texts: string[] } {
  if (content === undefined || content === null) return { parts: [], texts: [] };
  if (typeof content === 'string') return { parts: content === '' ? [] : [{ text: content }], texts: [content] };
  const parts: GeminiPart[] = [];
  const texts: string[] = [];
  content.forEach((part: ChatContentPart, index) => {
    const where = `${field}.${index}`;
    if ((part.type === 'text' || part.type === 'input_text') && typeof part.text === 'string') {
      texts.push(part.text);
      if (part.text !== '') parts.push({ text: part.text });
    } else if (part.type === 'image_url' && part.image_url !== undefined) {
      const url = typeof part.image_url === 'string' ? part.image_url : part.image_url.url;
      parts.push(imagePart(url, allowRemote, `${where}.image_url`));
    } else if (part.type === 'input_audio' && part.input_audio !== undefined) {
      parts.push({ inlineData: { mimeType: `audio/${part.input_audio.format}`, data: part.input_audio.data } });
    } else if (part.type === 'file' && typeof part.file?.file_data === 'string') {
      const data = dataUrlPattern.exec(part.file.file_data);
      if (data === null) throw invalid(`${where}.file.file_data: must be a base64 data: URL`);
      parts.push({ inlineData: { mimeType: data[1] as string, data: data[2] as string } });
    } else {
      throw invalid(`${where}: unsupported content part type "${part.type}"`);
    }
  });
  return { parts, texts };
}

export function parseArguments(raw: string | undefined, field: string): JsonObject {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid(`${field}: arguments are not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid(`${field}: arguments must be a JSON object`);
  }
  return parsed as JsonObject;
}

function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((part) => typeof part.text === 'string')
    .map((part) => part.text)
    .join('\n');
}

interface DeclaredTools {
  declarations: GeminiFunctionDeclaration[];
  originalSchemas: Map<string, unknown>;
  webSearch: boolean;
}

function declareTools(tools: ChatRequest['tools']): DeclaredTools {
  const declared: DeclaredTools = { declarations: [], originalSchemas: new Map(), webSearch: false };
  for (const [index, tool] of (tools ?? []).entries()) {
    const name = tool.function?.name ?? tool.name ?? (tool.type !== 'function' ? tool.type : undefined);
    if (name === undefined || name === '') throw invalid(`tools.${index}: a tool needs a function name`);
    if (webSearchToolNames.has(name)) {
      declared.webSearch = true;
      continue;
    }
    const parameters = tool.function?.parameters;
    const declaration: GeminiFunctionDeclaration = {
      name,
      parameters: parameters === undefined ? { type: 'object', properties: {} } : sanitizeToolSchema(parameters),
    };
    const description = tool.function?.description;
    if (typeof description === 'string' && description !== '') declaration.description = description;
    declared.declarations.push(declaration);
    declared.originalSchemas.set(name, parameters);
  }
  return declared;
}

function toolConfig(
  choice: ChatRequest['tool_choice'],
  declared: readonly GeminiFunctionDeclaration[],
): NonNullable<GeminiRequest['toolConfig']> {
  if (choice === undefined) return { functionCallingConfig: { mode: 'VALIDATED' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  const name = choice.function.name;
  if (!declared.some((declaration) => declaration.name === name)) {
    throw invalid(`tool_choice.function.name: "${name}" is not one of the declared tools`);
  }
  return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [name] } };
}

function thinkingSettings(
  chat: ChatRequest,
  upstreamModel: string,
  maxTokens: number | undefined,
): { thinkingConfig?: GeminiGenerationConfig['thinkingConfig']; maxOutputTokens?: number } {
  const family = modelFamily(upstreamModel);
  const cap = outputLimit(upstreamModel);
  const effort = chat.reasoning_effort ?? undefined;
  const capped = maxTokens === undefined ? undefined : Math.min(maxTokens, cap);
  if (effort === 'none') {
    const result: { thinkingConfig?: GeminiGenerationConfig['thinkingConfig']; maxOutputTokens?: number } = {};
    if (family !== 'claude') result.thinkingConfig = { includeThoughts: false, thinkingBudget: 0 };
    if (capped !== undefined) result.maxOutputTokens = capped;
    return result;
  }
  // A `-thinking` client name still asks for thinking when its upstream id no longer carries the suffix (Claude
  // Sonnet 4.6 thinks by its thinking config since the -thinking id was retired).
  if (effort === undefined && !isThinkingModel(upstreamModel) && !chat.model.toLowerCase().endsWith('-thinking')) {
    return capped === undefined ? {} : { maxOutputTokens: capped };
  }
  let budget: number | undefined =
    effort !== undefined ? reasoningBudgets[effort] : family === 'claude' ? defaultClaudeThinkingBudget : undefined;
  if (budget === undefined) {
    // Gemini thinks dynamically when no budget is given; only ask for the thoughts to be returned.
    const result: { thinkingConfig?: GeminiGenerationConfig['thinkingConfig']; maxOutputTokens?: number } = {
      thinkingConfig: { includeThoughts: true },
    };
    if (capped !== undefined) result.maxOutputTokens = capped;
    return result;
  }
  if (capped !== undefined) {
    // The client's limit covers reasoning too (as in OpenAI's API), so the budget must fit below it.
    budget = Math.min(budget, capped - 1);
    if (family === 'claude' && budget < minimumClaudeBudget) return { maxOutputTokens: capped };
    return { thinkingConfig: { includeThoughts: true, thinkingBudget: Math.max(budget, 0) }, maxOutputTokens: capped };
  }
  return {
    thinkingConfig: { includeThoughts: true, thinkingBudget: budget },
    maxOutputTokens: Math.min(budget + 32768, cap),
  };
}

/** The generation settings of a chat request (also used by the Responses and legacy completions translators). */
export function generationConfig(chat: ChatRequest, upstreamModel: string): GeminiGenerationConfig {
  if (chat.n !== undefined && chat.n > 1) throw invalid('n: only one choice (n = 1) is supported');
  const config: GeminiGenerationConfig = {};
  if (typeof chat.temperature === 'number') config.temperature = chat.temperature;
  if (typeof chat.top_p === 'number') config.topP = chat.top_p;
  if (typeof chat.presence_penalty === 'number') config.presencePenalty = chat.presence_penalty;
  if (typeof chat.frequency_penalty === 'number') config.frequencyPenalty = chat.frequency_penalty;
  if (typeof chat.seed === 'number') config.seed = chat.seed;
  if (typeof chat.stop === 'string') config.stopSequences = [chat.stop];
  else if (Array.isArray(chat.stop) && chat.stop.length > 0) config.stopSequences = chat.stop;
  const maxTokens = chat.max_completion_tokens ?? chat.max_tokens ?? undefined;
  const thinking = thinkingSettings(chat, upstreamModel, maxTokens);
  if (thinking.maxOutputTokens !== undefined) config.maxOutputTokens = thinking.maxOutputTokens;
  if (thinking.thinkingConfig !== undefined) config.thinkingConfig = thinking.thinkingConfig;
  const format = chat.response_format;
  if (format?.type === 'json_object') config.responseMimeType = 'application/json';
  if (format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    if (format.json_schema?.schema !== undefined) {
      config.responseJsonSchema = sanitizeToolSchema(format.json_schema.schema);
    }
  }
  return config;
}

/** Appends a content, merging it into the previous one when the role repeats (Gemini wants alternation). */
export function pushContent(contents: GeminiContent[], role: string, parts: GeminiPart[]): void {
  if (parts.length === 0) return;
  const last = contents.at(-1);
  if (last !== undefined && last.role === role) last.parts.push(...parts);
  else contents.push({ role, parts });
}

/** Translates a validated chat request. Throws AGW_INVALID_REQUEST / AGW_FORBIDDEN_URL on bad content. */
export function toCanonicalRequest(chat: ChatRequest, options: ChatTranslationOptions): OpenAiCanonicalRequest {
  const allowRemote = options.allowRemoteImages === true;
  const { upstreamModel } = resolveModel(chat.model, {
    customMapping: options.customMapping,
    forwarding: options.modelForwarding ?? {},
  });
  const declared = declareTools(chat.tools);
  const signatureSentinel = modelFamily(upstreamModel) === 'gemini';
  const systemTexts: string[] = [];
  const userTexts: string[] = [];
  const contents: GeminiContent[] = [];
  const toolNamesById = new Map<string, string>();

  chat.messages.forEach((message, index) => {
    const field = `messages.${index}`;
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOf(message.content);
        if (text.trim() !== '') systemTexts.push(text);
        return;
      }
      case 'user': {
        const { parts, texts } = contentParts(message.content, allowRemote, `${field}.content`);
        userTexts.push(...texts);
        pushContent(contents, 'user', parts);
        return;
      }
      case 'assistant': {
        // Past reasoning is not replayed: OpenAI clients cannot send its signature, and unsigned thinking is
        // rejected by Claude upstreams and ignored by Gemini ones.
        const { parts } = contentParts(message.content, allowRemote, `${field}.content`);
        for (const [callIndex, call] of (message.tool_calls ?? []).entries()) {
          const callField = `${field}.tool_calls.${callIndex}.function`;
          const name = call.function.name;
          const args = fixToolArguments(
            parseArguments(call.function.arguments, callField),
            declared.originalSchemas.get(name),
          );
          const functionCall: NonNullable<GeminiPart['functionCall']> = { name, args };
          if (call.id !== undefined && call.id !== '') {
            functionCall.id = call.id;
            toolNamesById.set(call.id, name);
          }
          const part: GeminiPart = { functionCall };
          if (signatureSentinel) part.thoughtSignature = skipSignatureSentinel;
          parts.push(part);
        }
        pushContent(contents, 'model', parts);
        return;
      }
      case 'tool':
      case 'function': {
        const callId = message.tool_call_id;
        const name = message.name ?? (callId !== undefined ? toolNamesById.get(callId) : undefined);
        if (name === undefined) {
          throw invalid(`${field}.tool_call_id: no earlier assistant tool call has id "${callId ?? ''}"`);
        }
        const extraParts: GeminiPart[] = [];
        if (Array.isArray(message.content)) {
          for (const [partIndex, part] of message.content.entries()) {
            if (part.type === 'image_url' && part.image_url !== undefined) {
              const url = typeof part.image_url === 'string' ? part.image_url : part.image_url.url;
              extraParts.push(imagePart(url, allowRemote, `${field}.content.${partIndex}.image_url`));
            }
          }
        }
        const functionResponse: NonNullable<GeminiPart['functionResponse']> = {
          name,
          response: { result: textOf(message.content) },
        };
        if (callId !== undefined && callId !== '') functionResponse.id = callId;
        pushContent(contents, 'user', [{ functionResponse }, ...extraParts]);
        return;
      }
      default:
        throw invalid(`${field}.role: unsupported role "${message.role}"`);
    }
  });

  if (contents.length === 0) throw invalid('messages: at least one user or assistant message is required');

  const request: GeminiRequest = { contents };
  if (systemTexts.length > 0) request.systemInstruction = { role: 'user', parts: [{ text: systemTexts.join('\n\n') }] };
  const tools: GeminiTool[] = [];
  if (declared.declarations.length > 0) {
    tools.push({ functionDeclarations: declared.declarations });
    request.toolConfig = toolConfig(chat.tool_choice, declared.declarations);
  } else if (declared.webSearch) {
    // v1internal rejects googleSearch next to function declarations, so search is used only without them.
    tools.push({ googleSearch: {} });
  }
  if (tools.length > 0) request.tools = tools;
  const config = generationConfig(chat, upstreamModel);
  if (Object.keys(config).length > 0) request.generationConfig = config;
  request.safetySettings = defaultSafetySettings.map((setting) => ({ ...setting }));

  return {
    protocol: 'openai',
    clientModel: chat.model,
    upstreamModel,
    stream: chat.stream === true,
    sessionKey: deriveSessionKey({ explicit: options.sessionHeader, texts: userTexts }),
    request,
    toolNames: declared.declarations.map((declaration) => declaration.name),
    includeUsage: chat.stream_options?.include_usage === true,
    messageCount: chat.messages.length,
  };
}
