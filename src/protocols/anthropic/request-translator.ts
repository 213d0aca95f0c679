/**
 * A validated Anthropic Messages request → the canonical request (a Gemini-format body plus routing facts).
 * The model is mapped exactly once, the client's system prompt is forwarded as it is (agw injects no identity
 * prompt), and every client option that Gemini can express is honoured: tool_choice, stop_sequences, sampling and
 * the thinking budget.
 */
import { GatewayError } from '../../errors/catalogue.ts';
import { stripThinking } from '../canonical/thinking-free-retry.ts';
import type {
  CanonicalRequest,
  GeminiContent,
  GeminiFunctionDeclaration,
  GeminiGenerationConfig,
  GeminiRequest,
  GeminiTool,
} from '../canonical/types.ts';
import { followForwarding, type ModelFamily, modelFamily, resolveModel } from '../models.ts';
import { sanitizeToolSchema } from '../schema-sanitizer.ts';
import { deriveSessionKey } from '../session-key.ts';
import { type BackgroundTaskKind, detectBackgroundTask } from './background-task.ts';
import { mapMessages } from './content-mapper.ts';
import type { AnthropicMessage, MessagesRequest, ToolChoice, ToolDefinition } from './request-schema.ts';
import type { SignatureStore } from './signature-store.ts';

/** Budget used when a client enables thinking without `budget_tokens` (Anthropic requires it; some clients omit it). */
export const defaultThinkingBudget = 16_000;
/** Room left for the visible answer when `max_tokens` would be eaten by the thinking budget. */
export const thinkingOutputMargin = 8_192;

export interface TranslationOptions {
  /** `proxy.custom_mapping` of gui_config.json. */
  customMapping: Readonly<Record<string, string>>;
  /** Retired upstream id → its replacement (`deprecatedModelIds`; protocols/models.ts). */
  modelForwarding?: Readonly<Record<string, string>>;
  signatureStore: SignatureStore;
  /** The account the request will be sent with, when already chosen; narrows signature checks to it. */
  accountId?: string;
  /** When set, detected background tasks (titles, summaries, …) go to this upstream model without thinking or tools. */
  backgroundTaskModel?: string;
  /** The client's `x-session-id` header; wins over `metadata.user_id`. */
  sessionHeader?: string;
}

export type ThinkingDisabledReason = 'background-task' | 'unsigned-tool-turn';

export interface AnthropicCanonicalRequest extends CanonicalRequest {
  protocol: 'anthropic';
  family: ModelFamily;
  thinkingEnabled: boolean;
  /** Set when the request was recognised as a background task and routed to `backgroundTaskModel`. */
  backgroundTask: BackgroundTaskKind | undefined;
  /** Why thinking was turned off although the client asked for it. */
  thinkingDisabledReason: ThinkingDisabledReason | undefined;
}

/** Translates a request validated by `parseMessagesRequest`. Throws `AGW_INVALID_REQUEST` for untranslatable tools. */
export function toCanonicalRequest(original: MessagesRequest, options: TranslationOptions): AnthropicCanonicalRequest {
  const request = withSystemMessagesHoisted(original);
  const detected = detectBackgroundTask(request);
  const backgroundTask = detected !== undefined && options.backgroundTaskModel !== undefined ? detected : undefined;
  const upstreamModel =
    backgroundTask !== undefined && options.backgroundTaskModel !== undefined
      ? followForwarding(options.backgroundTaskModel, options.modelForwarding ?? {})
      : resolveModel(request.model, { customMapping: options.customMapping, forwarding: options.modelForwarding ?? {} })
          .upstreamModel;
  const family = modelFamily(upstreamModel);
  const sessionKey = deriveSessionKey({
    explicit: options.sessionHeader ?? request.metadata?.user_id ?? undefined,
    texts: userTexts(request.messages),
  });
  const askedForThinking = request.thinking !== undefined && request.thinking.type !== 'disabled';
  let thinkingEnabled = askedForThinking && backgroundTask === undefined;
  let thinkingDisabledReason: ThinkingDisabledReason | undefined =
    askedForThinking && !thinkingEnabled ? 'background-task' : undefined;

  let contents = mapMessages(request.messages, {
    family,
    thinkingEnabled,
    signatureStore: options.signatureStore,
    sessionKey,
    accountId: options.accountId,
    toolSchemas: new Map((request.tools ?? []).map((tool) => [tool.name, tool.input_schema])),
  });
  if (thinkingEnabled && family === 'claude' && lastToolTurnLacksThinking(contents)) {
    // Claude rejects a thinking request whose open tool turn does not start with signed thinking; agw cannot forge
    // one, so this turn runs without thinking rather than failing.
    contents = stripThinking(contents, family);
    thinkingEnabled = false;
    thinkingDisabledReason = 'unsigned-tool-turn';
  }

  const gemini: GeminiRequest = { contents };
  const systemParts = systemTexts(request.system).map((text) => ({ text }));
  if (systemParts.length > 0) gemini.systemInstruction = { role: 'user', parts: systemParts };
  if (backgroundTask === undefined) {
    const tools = mapTools(request.tools ?? []);
    if (tools.length > 0) gemini.tools = tools;
    const toolConfig = mapToolChoice(request.tool_choice, tools);
    if (toolConfig !== undefined) gemini.toolConfig = toolConfig;
  }
  gemini.generationConfig = generationConfig(request, thinkingEnabled, family);

  return {
    protocol: 'anthropic',
    clientModel: request.model,
    upstreamModel,
    stream: request.stream === true,
    sessionKey,
    request: gemini,
    toolNames: (request.tools ?? []).map((tool) => tool.name),
    family,
    thinkingEnabled,
    backgroundTask,
    thinkingDisabledReason,
  };
}

/** Anthropic `output_config.effort` → Gemini `thinkingLevel` (the backend maps it for Claude too). */
const effortLevels: Readonly<Record<string, string>> = { low: 'low', medium: 'medium', high: 'high', max: 'high' };

/**
 * Adaptive thinking (`thinking: {type: "adaptive"}`, Claude Code's default for Opus 4.6): the model picks its own
 * budget, steered by `output_config.effort`. Claude behind Cloud Code takes that as `thinkingLevel`, default high
 * (Anthropic's default effort); Gemini thinks dynamically and gets a level only when the client named an effort.
 */
function adaptiveThinking(
  request: MessagesRequest,
  family: ModelFamily,
): NonNullable<GeminiGenerationConfig['thinkingConfig']> {
  const effort = request.output_config?.effort;
  const level = effort === undefined ? undefined : (effortLevels[effort.toLowerCase()] ?? 'high');
  if (family === 'claude') return { includeThoughts: true, thinkingLevel: level ?? 'high' };
  return level === undefined ? { includeThoughts: true } : { includeThoughts: true, thinkingLevel: level };
}

function generationConfig(
  request: MessagesRequest,
  thinkingEnabled: boolean,
  family: ModelFamily,
): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = { maxOutputTokens: request.max_tokens };
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.top_p !== undefined) config.topP = request.top_p;
  if (request.top_k !== undefined) config.topK = request.top_k;
  if (request.stop_sequences !== undefined && request.stop_sequences.length > 0)
    config.stopSequences = [...request.stop_sequences];
  if (thinkingEnabled && request.thinking !== undefined) {
    if (request.thinking.type === 'adaptive') config.thinkingConfig = adaptiveThinking(request, family);
    else {
      const budget = request.thinking.budget_tokens ?? defaultThinkingBudget;
      config.thinkingConfig = { includeThoughts: true, thinkingBudget: budget };
      // Gemini counts thinking inside maxOutputTokens; a budget that eats the whole limit would leave no answer.
      if (request.max_tokens <= budget) config.maxOutputTokens = budget + thinkingOutputMargin;
    }
  }
  return config;
}

function mapTools(tools: readonly ToolDefinition[]): GeminiTool[] {
  const declarations: GeminiFunctionDeclaration[] = [];
  let webSearch = false;
  tools.forEach((tool, index) => {
    if (tool.type?.startsWith('web_search') === true) {
      webSearch = true;
      return;
    }
    if (tool.type !== undefined && tool.type !== 'custom' && tool.input_schema === undefined) {
      throw new GatewayError(
        'AGW_INVALID_REQUEST',
        `Invalid request body: tools.${index}.type: server tool "${tool.type}" is not supported`,
        { details: { field: `tools.${index}.type` } },
      );
    }
    const declaration: GeminiFunctionDeclaration = {
      name: tool.name,
      parameters: sanitizeToolSchema(tool.input_schema ?? { type: 'object', properties: {} }),
    };
    if (typeof tool.description === 'string') declaration.description = tool.description;
    declarations.push(declaration);
  });
  if (declarations.length > 0) return [{ functionDeclarations: declarations }];
  // v1internal refuses search next to function declarations, so search only applies to tool-less requests.
  return webSearch ? [{ googleSearch: {} }] : [];
}

function mapToolChoice(choice: ToolChoice | undefined, tools: readonly GeminiTool[]): GeminiRequest['toolConfig'] {
  const declared = tools.flatMap((tool) => tool.functionDeclarations ?? []).map((declaration) => declaration.name);
  if (choice === undefined || declared.length === 0) return undefined;
  switch (choice.type) {
    case 'auto':
      return { functionCallingConfig: { mode: 'AUTO' } };
    case 'any':
      return { functionCallingConfig: { mode: 'ANY' } };
    case 'none':
      return { functionCallingConfig: { mode: 'NONE' } };
    case 'tool':
      if (!declared.includes(choice.name)) {
        throw new GatewayError(
          'AGW_INVALID_REQUEST',
          `Invalid request body: tool_choice.name: no tool named "${choice.name}" is declared`,
          { details: { field: 'tool_choice.name' } },
        );
      }
      return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.name] } };
  }
}

/** True when the last model turn calls tools but does not start with a signed thought part. */
function lastToolTurnLacksThinking(contents: readonly GeminiContent[]): boolean {
  const lastModel = contents.findLast((content) => content.role === 'model');
  if (lastModel === undefined || !lastModel.parts.some((part) => part.functionCall !== undefined)) return false;
  const first = lastModel.parts[0];
  return !(first?.thought === true && typeof first.thoughtSignature === 'string');
}

/**
 * Moves `role: "system"` messages (Claude Code sends some mid-conversation) into `system`, in order, so the
 * conversation itself only alternates user and model turns as Gemini expects.
 */
function withSystemMessagesHoisted(request: MessagesRequest): MessagesRequest {
  const systemMessages = request.messages.filter((message) => message.role === 'system');
  if (systemMessages.length === 0) return request;
  const texts = systemTexts(request.system);
  for (const message of systemMessages) {
    if (typeof message.content === 'string') texts.push(message.content);
    else for (const block of message.content) if (block.type === 'text') texts.push(block.text);
  }
  return {
    ...request,
    system: texts.map((text) => ({ type: 'text' as const, text })),
    messages: request.messages.filter((message) => message.role !== 'system'),
  };
}

function systemTexts(system: MessagesRequest['system']): string[] {
  if (system === undefined) return [];
  const texts = typeof system === 'string' ? [system] : system.map((block) => block.text);
  return texts.filter((text) => text.trim() !== '');
}

/** The user texts of the conversation, oldest first (the session key is derived from them). */
function userTexts(messages: readonly AnthropicMessage[]): string[] {
  return messages.flatMap((message) => {
    if (message.role !== 'user') return [];
    if (typeof message.content === 'string') return [message.content];
    return message.content.flatMap((block) => (block.type === 'text' ? [block.text] : []));
  });
}
