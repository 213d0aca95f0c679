/**
 * Gemini-native request → canonical request. Mostly pass-through: the body already is Gemini format. Only what
 * v1internal cannot take is changed (schemas cleaned, `parametersJsonSchema` renamed, search pseudo-functions
 * removed, signature keys mirrored). Client safetySettings and generationConfig are kept as sent.
 */

import { skipSignatureSentinel } from '../canonical/safety.ts';
import type { CanonicalRequest, GeminiPart, GeminiRequest, GeminiTool } from '../canonical/types.ts';
import { modelFamily, resolveModel } from '../models.ts';
import { sanitizeToolSchema } from '../schema-sanitizer.ts';
import { deriveSessionKey } from '../session-key.ts';
import type { GenerateRequest } from './generate-schema.ts';

export interface GeminiTranslationOptions {
  customMapping: Readonly<Record<string, string>>;
  /** Retired upstream id → its replacement (`deprecatedModelIds`; protocols/models.ts). */
  modelForwarding?: Readonly<Record<string, string>>;
  /** True for `streamGenerateContent`. */
  stream: boolean;
  /** Explicit session id from a request header. */
  sessionHeader?: string;
}

export interface GeminiCanonicalRequest extends CanonicalRequest {
  messageCount: number;
}

const searchFunctionNames = new Set(['web_search', 'google_search']);

type JsonObject = Record<string, unknown>;

/**
 * Sends a function call's signature under both spellings v1internal reads. A Gemini upstream rejects a historical
 * call without one (clients that built the history themselves, or switched models), so those get the skip
 * sentinel; Claude upstreams never get it.
 */
function mirrorSignature(part: GeminiPart, geminiUpstream: boolean): GeminiPart {
  if (part.functionCall === undefined) return part;
  const signature = part.thoughtSignature ?? part['thought_signature'];
  if (typeof signature !== 'string') {
    return geminiUpstream ? { ...part, thoughtSignature: skipSignatureSentinel } : part;
  }
  return { ...part, thoughtSignature: signature, thought_signature: signature };
}

function cleanTools(tools: readonly GeminiTool[]): GeminiTool[] {
  const cleaned: GeminiTool[] = [];
  for (const tool of tools) {
    if (!Array.isArray(tool.functionDeclarations)) {
      cleaned.push(tool);
      continue;
    }
    const declarations = tool.functionDeclarations
      .filter((declaration) => !searchFunctionNames.has(declaration.name))
      .map((declaration) => {
        const { parametersJsonSchema, ...rest } = declaration as typeof declaration & JsonObject;
        const schema = rest.parameters ?? parametersJsonSchema;
        return schema === undefined ? rest : { ...rest, parameters: sanitizeToolSchema(schema) };
      });
    if (declarations.length > 0) cleaned.push({ ...tool, functionDeclarations: declarations });
    else if (Object.keys(tool).length > 1) {
      const { functionDeclarations: _removed, ...others } = tool;
      cleaned.push(others);
    }
  }
  return cleaned;
}

/** Translates a validated Gemini body for `model` (the name in the URL, without `models/`). */
export function toCanonicalRequest(
  body: GenerateRequest,
  model: string,
  options: GeminiTranslationOptions,
): GeminiCanonicalRequest {
  const clientModel = model.replace(/^models\//, '');
  const { upstreamModel } = resolveModel(clientModel, {
    customMapping: options.customMapping,
    forwarding: options.modelForwarding ?? {},
  });
  const source = body as GeminiRequest;
  const request: GeminiRequest = {
    ...source,
    contents: source.contents.map((content) => ({
      ...content,
      role: content.role ?? 'user',
      parts: content.parts.map((part) => mirrorSignature(part, modelFamily(upstreamModel) === 'gemini')),
    })),
  };
  if (source.systemInstruction !== undefined) {
    request.systemInstruction = { ...source.systemInstruction, role: source.systemInstruction.role ?? 'user' };
  }
  if (source.tools !== undefined) {
    const tools = cleanTools(source.tools);
    if (tools.length > 0) request.tools = tools;
    else delete request.tools;
  }
  const userTexts = source.contents
    .filter((content) => (content.role ?? 'user') === 'user')
    .flatMap((content) => content.parts.map((part) => part.text).filter((text) => typeof text === 'string'));
  return {
    protocol: 'gemini',
    clientModel,
    upstreamModel,
    stream: options.stream,
    sessionKey: deriveSessionKey({ explicit: options.sessionHeader, texts: userTexts }),
    request,
    toolNames: (request.tools ?? []).flatMap((tool) => (tool.functionDeclarations ?? []).map((item) => item.name)),
    messageCount: source.contents.length,
  };
}

/** The v1internal countTokens body: the client body without safetySettings, under `request`. */
export function toCountTokensRequest(body: GenerateRequest): { request: JsonObject } {
  const { safetySettings: _ignored, ...rest } = body as JsonObject;
  return { request: rest };
}

/** Reads `totalTokens` from a v1internal countTokens answer (root or under `response`); 0 when absent. */
export function fromCountTokensResponse(body: unknown): { totalTokens: number } {
  if (typeof body !== 'object' || body === null) return { totalTokens: 0 };
  const record = body as JsonObject;
  const inner = typeof record['response'] === 'object' && record['response'] !== null ? record['response'] : record;
  const total = (inner as JsonObject)['totalTokens'] ?? record['totalTokens'];
  return { totalTokens: typeof total === 'number' ? total : 0 };
}
