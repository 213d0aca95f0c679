/**
 * OpenAI Responses request → canonical request (a Gemini-format body for v1internal).
 *
 * The conversation is the stored history of `previous_response_id` (when given) followed by this request's `input`
 * items. Messages become user/model turns, `function_call`/`custom_tool_call` items become function calls and their
 * outputs function responses; agw's own `reasoning` items replay Claude thinking with its signature, and agw's own
 * `compaction` items stand for the history they replaced. Generation settings reuse the chat translator's rules, so
 * `reasoning.effort` means the same thinking budget on both routes.
 */
import { GatewayError } from '../../errors/catalogue.ts';
import { defaultSafetySettings, skipSignatureSentinel } from '../canonical/safety.ts';
import type {
  CanonicalRequest,
  GeminiContent,
  GeminiFunctionDeclaration,
  GeminiPart,
  GeminiRequest,
  GeminiTool,
} from '../canonical/types.ts';
import { type ModelFamily, modelFamily, resolveModel } from '../models.ts';
import { fixToolArguments, sanitizeToolSchema } from '../schema-sanitizer.ts';
import { deriveSessionKey } from '../session-key.ts';
import { dataUrlPattern, generationConfig, imagePart, parseArguments, pushContent } from './chat-request.ts';
import type { ChatRequest } from './chat-schema.ts';
import { compactedHistoryText, compactionPrompt, decodeCompaction } from './responses-compaction.ts';
import { decodeReasoning } from './responses-reasoning.ts';
import type {
  ResponsesContentPart,
  ResponsesInputItem,
  ResponsesRequest,
  ResponsesTool,
  ResponsesToolChoice,
} from './responses-schema.ts';

export interface ResponsesTranslationOptions {
  customMapping: Readonly<Record<string, string>>;
  /** Retired upstream id → its replacement (`deprecatedModelIds`; protocols/models.ts). */
  modelForwarding?: Readonly<Record<string, string>>;
  /** When false (the default), http(s) image URLs are refused with AGW_FORBIDDEN_URL. */
  allowRemoteImages?: boolean;
  /** Explicit session id from a request header. */
  sessionHeader?: string;
  /** Items of the stored conversation this request continues (`previous_response_id`), oldest first. */
  history?: readonly ResponsesInputItem[];
  /** `POST /v1/responses/compact`: summarise the conversation instead of answering it. */
  compaction?: boolean;
}

/** How calls of a declared tool go back to the client. */
export interface ToolKind {
  /** `custom` tools receive the model's raw text (`input`), function tools JSON arguments. */
  kind: 'function' | 'custom';
  /** The namespace tool that declared this function, echoed on its calls. */
  namespace?: string;
}

export interface ResponsesCanonicalRequest extends CanonicalRequest {
  /** Every input item of the conversation (stored history first), kept with a stored answer for later turns. */
  items: ResponsesInputItem[];
  toolKinds: Record<string, ToolKind>;
  /** The answer is a summary that goes back as one `compaction` item. */
  compaction: boolean;
  family: ModelFamily;
}

type JsonObject = Record<string, unknown>;

/** Effort names Codex and the API use; the larger ones have no bigger budget upstream than `xhigh`. */
const effortNames: Readonly<Record<string, NonNullable<ChatRequest['reasoning_effort']>>> = {
  none: 'none',
  minimal: 'minimal',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'xhigh',
  max: 'xhigh',
  ultra: 'xhigh',
};

/** Items that record what a hosted tool did; agw runs none, and there is nothing in them to replay upstream. */
const ignoredItemTypes = new Set(['web_search_call', 'image_generation_call', 'ghost_snapshot']);

function invalid(message: string): GatewayError {
  return new GatewayError('AGW_INVALID_REQUEST', message);
}

interface DeclaredTools {
  declarations: GeminiFunctionDeclaration[];
  schemas: Map<string, unknown>;
  kinds: Record<string, ToolKind>;
  webSearch: boolean;
}

function customInputDescription(tool: ResponsesTool): string {
  const format = tool.format;
  if (format?.type === 'grammar' && typeof format.definition === 'string') {
    return `The tool's whole input, written in this ${format.syntax ?? ''} grammar:\n${format.definition}`;
  }
  return "The tool's whole input as plain text.";
}

function declareTools(tools: readonly ResponsesTool[] | undefined): DeclaredTools {
  const declared: DeclaredTools = { declarations: [], schemas: new Map(), kinds: {}, webSearch: false };
  const add = (name: string | undefined, field: string, declaration: Omit<GeminiFunctionDeclaration, 'name'>) => {
    if (name === undefined || name === '') throw invalid(`${field}.name: a tool needs a name`);
    if (Object.hasOwn(declared.kinds, name)) throw invalid(`${field}.name: the tool "${name}" is declared twice`);
    declared.declarations.push({ name, ...declaration });
    return name;
  };
  const addFunction = (tool: ResponsesTool, field: string, namespace?: string) => {
    const parameters = tool.parameters ?? undefined;
    const declaration: Omit<GeminiFunctionDeclaration, 'name'> = {
      parameters: parameters === undefined ? { type: 'object', properties: {} } : sanitizeToolSchema(parameters),
    };
    if (typeof tool.description === 'string' && tool.description !== '') declaration.description = tool.description;
    const name = add(tool.name, field, declaration);
    declared.schemas.set(name, parameters);
    declared.kinds[name] = namespace === undefined ? { kind: 'function' } : { kind: 'function', namespace };
  };
  for (const [index, tool] of (tools ?? []).entries()) {
    const field = `tools.${index}`;
    if (tool.type === 'function') {
      addFunction(tool, field);
    } else if (tool.type === 'custom') {
      const declaration: Omit<GeminiFunctionDeclaration, 'name'> = {
        parameters: {
          type: 'object',
          properties: { input: { type: 'string', description: customInputDescription(tool) } },
          required: ['input'],
        },
      };
      if (typeof tool.description === 'string' && tool.description !== '') declaration.description = tool.description;
      declared.kinds[add(tool.name, field, declaration)] = { kind: 'custom' };
    } else if (tool.type === 'namespace') {
      for (const [position, nested] of (tool.tools ?? []).entries()) {
        if (nested.type !== 'function') {
          throw invalid(`${field}.tools.${position}.type: a namespace can only hold function tools`);
        }
        addFunction(nested, `${field}.tools.${position}`, tool.name);
      }
    } else if (tool.type.startsWith('web_search')) {
      declared.webSearch = true;
    } else {
      throw invalid(
        `${field}.type: "${tool.type}" tools are not supported (function, custom, namespace and web_search are)`,
      );
    }
  }
  return declared;
}

function declaredName(name: string | undefined, declared: DeclaredTools, field: string): string {
  if (name === undefined || !Object.hasOwn(declared.kinds, name)) {
    throw invalid(`${field}: "${name ?? ''}" is not one of the declared tools`);
  }
  return name;
}

function toolConfigFor(
  choice: ResponsesToolChoice | undefined,
  declared: DeclaredTools,
): NonNullable<GeminiRequest['toolConfig']> {
  if (choice === undefined || choice === 'auto') {
    return { functionCallingConfig: { mode: choice === 'auto' ? 'AUTO' : 'VALIDATED' } };
  }
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  if (choice.type === 'function' || choice.type === 'custom') {
    const name = declaredName(choice.name, declared, 'tool_choice.name');
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [name] } };
  }
  if (choice.type === 'allowed_tools') {
    const names = (choice.tools ?? []).map((tool, index) =>
      declaredName(tool.name, declared, `tool_choice.tools.${index}.name`),
    );
    // Gemini restricts names in ANY and VALIDATED mode only; VALIDATED is its "auto with checked arguments".
    return {
      functionCallingConfig: { mode: choice.mode === 'required' ? 'ANY' : 'VALIDATED', allowedFunctionNames: names },
    };
  }
  if (choice.type.startsWith('web_search')) return { functionCallingConfig: { mode: 'VALIDATED' } };
  throw invalid(`tool_choice.type: unsupported tool choice "${choice.type}"`);
}

function textOfParts(content: ResponsesInputItem['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => part.text ?? part.refusal)
    .filter((text): text is string => typeof text === 'string')
    .join('\n');
}

function contentPart(part: ResponsesContentPart, allowRemote: boolean, field: string): GeminiPart | undefined {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
    case 'text':
      return typeof part.text === 'string' && part.text !== '' ? { text: part.text } : undefined;
    case 'refusal':
      return typeof part.refusal === 'string' && part.refusal !== '' ? { text: part.refusal } : undefined;
    case 'input_image': {
      const url = typeof part.image_url === 'string' ? part.image_url : part.image_url?.url;
      if (url === undefined) {
        throw invalid(`${field}: file ids are not supported; send the image as image_url (a data: URL)`);
      }
      return imagePart(url, allowRemote, `${field}.image_url`);
    }
    case 'input_file': {
      const data = dataUrlPattern.exec(part.file_data ?? '');
      if (data === null) throw invalid(`${field}.file_data: must be a base64 data: URL (file ids are not supported)`);
      return { inlineData: { mimeType: data[1] as string, data: data[2] as string } };
    }
    default:
      throw invalid(`${field}: unsupported content part type "${part.type}"`);
  }
}

function contentParts(
  content: ResponsesInputItem['content'],
  allowRemote: boolean,
  field: string,
  texts?: string[],
): GeminiPart[] {
  if (typeof content === 'string') {
    texts?.push(content);
    return content === '' ? [] : [{ text: content }];
  }
  const parts: GeminiPart[] = [];
  for (const [index, part] of (content ?? []).entries()) {
    if (typeof part.text === 'string') texts?.push(part.text);
    const translated = contentPart(part, allowRemote, `${field}.${index}`);
    if (translated !== undefined) parts.push(translated);
  }
  return parts;
}

function normalizeInput(input: ResponsesRequest['input']): ResponsesInputItem[] {
  if (input === undefined) return [];
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  return input;
}

/** True when every model turn that calls a tool starts with signed thinking (Claude's rule with thinking on). */
function toolTurnsSigned(contents: readonly GeminiContent[]): boolean {
  for (const content of contents) {
    if (content.role !== 'model') continue;
    let signed = false;
    for (const part of content.parts) {
      if (part.thought === true && typeof part.thoughtSignature === 'string') signed = true;
      if (part.functionCall !== undefined && !signed) return false;
    }
  }
  return true;
}

function withoutThoughts(contents: readonly GeminiContent[]): GeminiContent[] {
  const result: GeminiContent[] = [];
  for (const content of contents) {
    pushContent(
      result,
      content.role,
      content.parts.filter((part) => part.thought !== true),
    );
  }
  return result;
}

function chatShape(body: ResponsesRequest & { model: string }, compaction: boolean): ChatRequest {
  const chat: ChatRequest = { model: body.model, messages: [] };
  if (typeof body.temperature === 'number') chat.temperature = body.temperature;
  if (typeof body.top_p === 'number') chat.top_p = body.top_p;
  if (typeof body.max_output_tokens === 'number') chat.max_completion_tokens = body.max_output_tokens;
  const effort = body.reasoning?.effort;
  if (typeof effort === 'string') {
    const known = effortNames[effort];
    if (known === undefined) {
      throw invalid(`reasoning.effort: "${effort}" is not one of ${Object.keys(effortNames).join(', ')}`);
    }
    chat.reasoning_effort = known;
  }
  const format = body.text?.format;
  if (!compaction && format?.type === 'json_object') chat.response_format = { type: 'json_object' };
  if (!compaction && format?.type === 'json_schema') {
    chat.response_format = {
      type: 'json_schema',
      json_schema: { ...(format.name === undefined ? {} : { name: format.name }), schema: format.schema ?? {} },
    };
  }
  return chat;
}

/** Translates a validated Responses request whose model is known. Throws AGW_INVALID_REQUEST on bad input. */
export function toResponsesCanonicalRequest(
  body: ResponsesRequest & { model: string },
  options: ResponsesTranslationOptions,
): ResponsesCanonicalRequest {
  const allowRemote = options.allowRemoteImages === true;
  const { upstreamModel } = resolveModel(body.model, {
    customMapping: options.customMapping,
    forwarding: options.modelForwarding ?? {},
  });
  const family = modelFamily(upstreamModel);
  const history = options.history ?? [];
  const ownItems = normalizeInput(body.input);
  const compaction = options.compaction === true || ownItems.some((item) => item.type === 'compaction_trigger');
  const declared = declareTools(body.tools);
  const systemTexts: string[] = [];
  if (typeof body.instructions === 'string' && body.instructions.trim() !== '') systemTexts.push(body.instructions);
  const userTexts: string[] = [];
  const contents: GeminiContent[] = [];
  const callNames = new Map<string, string>();
  const items = [...history, ...ownItems].filter((item) => item.type !== 'compaction_trigger');

  [...history, ...ownItems].forEach((item, position) => {
    const field = position < history.length ? `(stored history).${position}` : `input.${position - history.length}`;
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message': {
        const role = item.role;
        if (role === 'system' || role === 'developer') {
          const text = textOfParts(item.content);
          if (text.trim() !== '') systemTexts.push(text);
        } else if (role === 'user') {
          pushContent(contents, 'user', contentParts(item.content, allowRemote, `${field}.content`, userTexts));
        } else if (role === 'assistant') {
          pushContent(contents, 'model', contentParts(item.content, allowRemote, `${field}.content`));
        } else {
          throw invalid(`${field}.role: unsupported role "${role ?? ''}"`);
        }
        return;
      }
      case 'reasoning': {
        // Only a signature this family issued can be replayed; Gemini needs none (its calls carry the sentinel).
        const carried = decodeReasoning(item.encrypted_content);
        if (carried === undefined || carried.family !== family || family !== 'claude') return;
        const text = (item.summary ?? []).map((part) => part.text).join('');
        pushContent(contents, 'model', [{ text, thought: true, thoughtSignature: carried.signature }]);
        return;
      }
      case 'function_call':
      case 'custom_tool_call': {
        const name = item.name;
        const callId = item.call_id;
        if (name === undefined || name === '') throw invalid(`${field}.name: a tool call needs a name`);
        if (callId === undefined || callId === '') throw invalid(`${field}.call_id: a tool call needs a call_id`);
        const args: JsonObject =
          type === 'custom_tool_call'
            ? { input: item.input ?? '' }
            : fixToolArguments(parseArguments(item.arguments, field), declared.schemas.get(name));
        const part: GeminiPart = { functionCall: { name, args, id: callId } };
        if (family === 'gemini') part.thoughtSignature = skipSignatureSentinel;
        callNames.set(callId, name);
        pushContent(contents, 'model', [part]);
        return;
      }
      case 'function_call_output':
      case 'custom_tool_call_output': {
        const callId = item.call_id ?? '';
        const name = callNames.get(callId);
        if (name === undefined) throw invalid(`${field}.call_id: no earlier tool call has call_id "${callId}"`);
        const output = item.output ?? '';
        const images =
          typeof output === 'string'
            ? []
            : contentParts(
                output.filter((part) => part.type === 'input_image'),
                allowRemote,
                `${field}.output`,
              );
        const result = typeof output === 'string' ? output : textOfParts(output);
        pushContent(contents, 'user', [{ functionResponse: { name, response: { result }, id: callId } }, ...images]);
        return;
      }
      case 'compaction':
      case 'compaction_summary': {
        const summary = decodeCompaction(item.encrypted_content ?? '');
        if (summary === undefined) {
          throw invalid(`${field}: this compaction item was not made by agw, so its content cannot be read`);
        }
        pushContent(contents, 'user', [{ text: compactedHistoryText(summary) }]);
        return;
      }
      case 'compaction_trigger':
        return;
      default:
        if (type !== undefined && ignoredItemTypes.has(type)) return;
        throw invalid(`${field}.type: unsupported input item type "${type ?? ''}"`);
    }
  });

  if (contents.length === 0) throw invalid('input: at least one user message or tool output is required');
  if (compaction) pushContent(contents, 'user', [{ text: compactionPrompt }]);

  const config = generationConfig(chatShape(body, compaction), upstreamModel);
  let finalContents = contents;
  if (family === 'claude') {
    // Claude refuses thinking when an earlier tool turn lost its signed thinking (a client that dropped reasoning
    // items, or a conversation begun on another model): answer without thinking rather than fail.
    if (config.thinkingConfig !== undefined && !toolTurnsSigned(contents)) delete config.thinkingConfig;
    if (config.thinkingConfig === undefined) finalContents = withoutThoughts(contents);
  }

  const request: GeminiRequest = { contents: finalContents };
  if (systemTexts.length > 0) request.systemInstruction = { role: 'user', parts: [{ text: systemTexts.join('\n\n') }] };
  const tools: GeminiTool[] = [];
  if (!compaction && declared.declarations.length > 0) {
    tools.push({ functionDeclarations: declared.declarations });
    request.toolConfig = toolConfigFor(body.tool_choice, declared);
  } else if (!compaction && declared.webSearch) {
    // v1internal rejects googleSearch next to function declarations, so search is used only without them.
    tools.push({ googleSearch: {} });
  }
  if (tools.length > 0) request.tools = tools;
  if (Object.keys(config).length > 0) request.generationConfig = config;
  request.safetySettings = defaultSafetySettings.map((setting) => ({ ...setting }));

  const explicitSession = options.sessionHeader ?? body.prompt_cache_key ?? undefined;
  return {
    protocol: 'openai',
    clientModel: body.model,
    upstreamModel,
    stream: body.stream === true && options.compaction !== true,
    sessionKey: deriveSessionKey({ explicit: explicitSession, texts: userTexts }),
    request,
    toolNames: compaction ? [] : declared.declarations.map((declaration) => declaration.name),
    items,
    toolKinds: compaction ? {} : declared.kinds,
    compaction,
    family,
  };
}
