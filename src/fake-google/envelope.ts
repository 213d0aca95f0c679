/**
 * Validation of the v1internal generate / countTokens envelopes, with Google-style 400 messages.
 */
import { fakeModels } from './models.ts';
import type { GenerationFacts } from './types.ts';

export interface FunctionCallPart {
  name: string;
  args?: Record<string, unknown>;
  id?: string;
}

export interface Part {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  thought_signature?: string;
  functionCall?: FunctionCallPart;
  functionResponse?: { name: string; response?: unknown; id?: string };
  inlineData?: { mimeType: string; data: string };
}

export interface Content {
  role?: string;
  parts: Part[];
}

export interface FunctionDeclaration {
  name: string;
  description?: string;
  parameters?: unknown;
  parametersJsonSchema?: unknown;
}

export interface GenerateRequest {
  contents: Content[];
  systemInstruction?: Content;
  tools?: Array<{ functionDeclarations?: FunctionDeclaration[]; function_declarations?: FunctionDeclaration[] }>;
  toolConfig?: { functionCallingConfig?: { mode?: unknown } };
  tool_config?: { function_calling_config?: { mode?: unknown } };
  generationConfig?: {
    responseMimeType?: string;
    responseSchema?: unknown;
    responseJsonSchema?: unknown;
    maxOutputTokens?: unknown;
    thinkingConfig?: { includeThoughts?: boolean; thinkingBudget?: number; thinkingLevel?: unknown };
    imageConfig?: { aspectRatio?: unknown; imageSize?: unknown };
  };
  safetySettings?: unknown;
  sessionId?: string;
}

export interface GenerateEnvelope {
  project?: string;
  requestId?: string;
  request: GenerateRequest;
  model: string;
  userAgent?: string;
  requestType?: string;
  /** `["GOOGLE_ONE_AI"]` lets an account pay with Google One AI credits once its free quota is spent. */
  enabledCreditTypes?: unknown;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; status: 400 | 404; message: string };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function invalid(message: string): { ok: false; status: 400; message: string } {
  return { ok: false, status: 400, message };
}

/** Checks `request` (the inner GenerateContentRequest), naming the first problem the way Google does. */
export function checkGenerateRequest(request: unknown, prefix: string): Checked<GenerateRequest> {
  if (!isObject(request)) return invalid(`* ${prefix}: request is not specified\n`);
  const contents = request['contents'];
  if (contents === undefined || (Array.isArray(contents) && contents.length === 0)) {
    return invalid(`* ${prefix}.contents: contents is not specified\n`);
  }
  if (!Array.isArray(contents)) {
    return invalid(
      `Invalid value at '${lowerFirst(prefix)}.contents' (type.googleapis.com/google.ai.Content), "not a list"`,
    );
  }
  for (let index = 0; index < contents.length; index++) {
    const content: unknown = contents[index];
    if (!isObject(content) || !Array.isArray(content['parts'])) {
      return invalid(`* ${prefix}.contents[${index}].parts: contents.parts must not be empty.\n`);
    }
    const role = content['role'];
    if (role !== undefined && role !== 'user' && role !== 'model' && role !== 'function') {
      return invalid(`Please use a valid role: user, model.`);
    }
    for (const part of content['parts'] as unknown[]) {
      if (!isObject(part)) return invalid(`* ${prefix}.contents[${index}].parts: part must be an object\n`);
      if (part['text'] !== undefined && typeof part['text'] !== 'string') {
        return invalid(`Invalid value at '${lowerFirst(prefix)}.contents[${index}].parts.text' (TYPE_STRING)`);
      }
      const call = part['functionCall'];
      if (call !== undefined && (!isObject(call) || typeof call['name'] !== 'string')) {
        return invalid(`* ${prefix}.contents[${index}].parts.function_call.name: Name cannot be empty.\n`);
      }
    }
  }
  for (const key of ['systemInstruction', 'generationConfig', 'toolConfig'] as const) {
    if (request[key] !== undefined && !isObject(request[key])) {
      return invalid(`Invalid value at '${lowerFirst(prefix)}.${key}': expected an object`);
    }
  }
  if (request['tools'] !== undefined && !Array.isArray(request['tools'])) {
    return invalid(`Invalid value at '${lowerFirst(prefix)}.tools' (type.googleapis.com/google.ai.Tool), "not a list"`);
  }
  return { ok: true, value: request as unknown as GenerateRequest };
}

/**
 * Checks the outer v1internal envelope of generateContent / streamGenerateContent; a model `knows` rejects → 404.
 * By default the fake knows what it serves with its default rules.
 */
export function checkGenerateEnvelope(
  body: unknown,
  knows: (model: string) => boolean = (model) => fakeModels[model] !== undefined,
): Checked<GenerateEnvelope> {
  if (!isObject(body)) return invalid('Invalid JSON payload received. Expected an object.');
  const model = body['model'];
  if (model === undefined || model === '') return invalid('* GenerateContentRequest.model: model is not specified\n');
  if (typeof model !== 'string') return invalid(`Invalid value at 'model' (TYPE_STRING), ${JSON.stringify(model)}`);
  for (const key of ['project', 'requestId', 'userAgent', 'requestType'] as const) {
    if (body[key] !== undefined && typeof body[key] !== 'string') {
      return invalid(`Invalid value at '${key}' (TYPE_STRING), ${JSON.stringify(body[key])}`);
    }
  }
  const request = checkGenerateRequest(body['request'], 'GenerateContentRequest');
  if (!request.ok) return request;
  if (!knows(model)) {
    return { ok: false, status: 404, message: `Requested entity was not found. Model ${model} is not found.` };
  }
  return { ok: true, value: body as unknown as GenerateEnvelope };
}

/** Checks a countTokens body `{request:{contents…}}`. */
export function checkCountTokensBody(body: unknown): Checked<GenerateRequest> {
  if (!isObject(body)) return invalid('Invalid JSON payload received. Expected an object.');
  return checkGenerateRequest(body['request'], 'CountTokensRequest');
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function textList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;
}

/** What a generate call asked for, for the recorded call; undefined when the body is not an envelope. */
export function generationFacts(body: unknown): GenerationFacts | undefined {
  if (!isObject(body)) return undefined;
  const request = isObject(body['request']) ? body['request'] : {};
  const config = isObject(request['generationConfig']) ? request['generationConfig'] : {};
  const thinking = isObject(config['thinkingConfig']) ? config['thinkingConfig'] : {};
  const image = isObject(config['imageConfig']) ? config['imageConfig'] : {};
  const toolConfig = isObject(request['toolConfig']) ? request['toolConfig'] : {};
  const calling = isObject(toolConfig['functionCallingConfig']) ? toolConfig['functionCallingConfig'] : {};
  const facts: GenerationFacts = {};
  const entries: Array<[keyof GenerationFacts, unknown]> = [
    ['requestType', text(body['requestType'])],
    ['requestId', text(body['requestId'])],
    ['maxOutputTokens', typeof config['maxOutputTokens'] === 'number' ? config['maxOutputTokens'] : undefined],
    ['thinkingLevel', text(thinking['thinkingLevel'])],
    ['thinkingBudget', typeof thinking['thinkingBudget'] === 'number' ? thinking['thinkingBudget'] : undefined],
    ['includeThoughts', typeof thinking['includeThoughts'] === 'boolean' ? thinking['includeThoughts'] : undefined],
    ['aspectRatio', text(image['aspectRatio'])],
    ['functionCallingMode', text(calling['mode'])],
    ['enabledCreditTypes', textList(body['enabledCreditTypes'])],
  ];
  for (const [key, value] of entries) if (value !== undefined) (facts as Record<string, unknown>)[key] = value;
  return facts;
}
