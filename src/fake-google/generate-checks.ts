/**
 * The 2026 backend rules a generate call passes before the fake answers it, in the order the fake applies them
 * (docs/fake-google.md, "Backend rules"). Pure: each check returns the rejection, or undefined.
 */
import { atLeast } from './client-version.ts';
import type { Content, FunctionDeclaration, GenerateEnvelope, GenerateRequest } from './envelope.ts';
import { claudeInvalidRequest, type GoogleErrorBody, googleError, promptFilterError } from './google-errors.ts';
import { supportedAspectRatios } from './image.ts';
import { fakeModels, isClaudeModel, modelTable, retirementOf } from './models.ts';
import { type FakeRules, unsupportedVersionText } from './rules.ts';
import type { SignatureAuthority } from './signatures.ts';

export interface Rejection {
  /** Which rule answered (recorded on the call as `rule`). */
  rule: string;
  status: number;
  /** A Google error body, or text sent as it is. */
  body: GoogleErrorBody | string;
}

export interface CheckContext {
  rules: FakeRules;
  clientVersion: string | undefined;
  signer: SignatureAuthority;
}

const thinkingLevels = new Set(['minimal', 'low', 'medium', 'high']);
const imageRequestId = /^image_gen\/\d+\/[0-9a-fA-F-]{8,}\/\d+$/;

function reject(rule: string, status: number, body: GoogleErrorBody | string): Rejection {
  return { rule, status, body };
}

/** Whether the fake serves `model` under these rules (the 404 check of the envelope). */
export function servesModel(model: string, rules: FakeRules): boolean {
  return rules.retiredModels ? modelTable[model] !== undefined : fakeModels[model] !== undefined;
}

/** Old clients get a text error in an HTTP 200, before the request is even looked at. */
export function checkClientVersion(context: CheckContext): Rejection | undefined {
  const minimum = context.rules.clientVersion.minimumSupported;
  if (minimum === null || context.clientVersion === undefined || atLeast(context.clientVersion, minimum)) {
    return undefined;
  }
  return reject('client-version', 200, unsupportedVersionText);
}

/** Retired ids (with the rule on) and version-gated models the client may not see are not found. */
export function checkModelAvailable(model: string, context: CheckContext): Rejection | undefined {
  const retirement = context.rules.retiredModels ? retirementOf(model) : undefined;
  if (retirement !== undefined) {
    return retirement.status === 404
      ? reject('retired-model', 404, googleError(404, 'Requested entity was not found.'))
      : reject('retired-model', 400, googleError(400, `Model ${model} is not supported.`));
  }
  const info = fakeModels[model];
  if (info?.versionGated === true && !atLeast(context.clientVersion, context.rules.clientVersion.gatedModelVersion)) {
    return reject('version-gated-model', 404, googleError(404, 'Requested entity was not found.'));
  }
  return undefined;
}

/** thinkingLevel is accepted for every model (Claude included) but must name a level. */
export function checkThinkingLevel(request: GenerateRequest): Rejection | undefined {
  const level = request.generationConfig?.thinkingConfig?.thinkingLevel;
  if (level === undefined || (typeof level === 'string' && thinkingLevels.has(level.toLowerCase()))) return undefined;
  return reject(
    'thinking-level',
    400,
    googleError(
      400,
      `Invalid value at 'request.generation_config.thinking_config.thinking_level' (type.googleapis.com/google.internal.cloud.code.v1internal.ThinkingConfig.ThinkingLevel), ${JSON.stringify(level)}`,
    ),
  );
}

/** Image models: the image request form (with the rule) and a supported aspect ratio (always). */
export function checkImageRequest(envelope: GenerateEnvelope, context: CheckContext): Rejection | undefined {
  if (fakeModels[envelope.model]?.generatesImages !== true) return undefined;
  if (context.rules.imageRequestType) {
    if (envelope.requestType !== 'image_gen') {
      return reject(
        'image-request-type',
        400,
        googleError(400, `Model ${envelope.model} only supports requestType image_gen.`),
      );
    }
    if (typeof envelope.requestId !== 'string' || !imageRequestId.test(envelope.requestId)) {
      return reject(
        'image-request-type',
        400,
        googleError(400, `Invalid requestId for requestType image_gen: ${JSON.stringify(envelope.requestId ?? '')}`),
      );
    }
  }
  const ratio = envelope.request.generationConfig?.imageConfig?.aspectRatio;
  if (ratio !== undefined && !(typeof ratio === 'string' && supportedAspectRatios.includes(ratio))) {
    return reject(
      'image-aspect-ratio',
      400,
      googleError(
        400,
        `Unsupported aspect ratio: ${JSON.stringify(ratio)}. Supported: ${supportedAspectRatios.join(', ')}.`,
      ),
    );
  }
  return undefined;
}

/** maxOutputTokens above the model's limit: Gemini's range message, or Claude's own words. */
export function checkOutputCap(envelope: GenerateEnvelope, context: CheckContext): Rejection | undefined {
  if (!context.rules.outputCaps) return undefined;
  const requested = envelope.request.generationConfig?.maxOutputTokens;
  const cap = fakeModels[envelope.model]?.maxOutputTokens;
  if (typeof requested !== 'number' || cap === undefined || requested <= cap) return undefined;
  if (isClaudeModel(envelope.model)) {
    return reject(
      'output-cap',
      400,
      claudeInvalidRequest(
        `max_tokens: ${requested} > ${cap}, which is the maximum allowed number of output tokens for ${envelope.model}`,
      ),
    );
  }
  return reject(
    'output-cap',
    400,
    googleError(
      400,
      `Unable to submit request because it has a maxOutputTokens value of ${requested} but the supported range is from 1 (inclusive) to ${cap + 1} (exclusive). Update the value and try again.`,
    ),
  );
}

function callingMode(request: GenerateRequest): unknown {
  return request.toolConfig?.functionCallingConfig?.mode ?? request.tool_config?.function_calling_config?.mode;
}

function declarationsOf(request: GenerateRequest): FunctionDeclaration[] {
  const found: FunctionDeclaration[] = [];
  for (const tool of request.tools ?? []) {
    const list = tool.functionDeclarations ?? tool.function_declarations;
    if (Array.isArray(list)) found.push(...list);
  }
  return found;
}

function hasRequiredProperty(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  const required = (schema as { required?: unknown }).required;
  return Array.isArray(required) && required.length > 0;
}

/** Claude in VALIDATED mode needs every tool to require at least one property. */
export function checkValidatedTools(envelope: GenerateEnvelope, context: CheckContext): Rejection | undefined {
  if (!context.rules.validatedToolsRequired || !isClaudeModel(envelope.model)) return undefined;
  const mode = callingMode(envelope.request);
  if (typeof mode !== 'string' || mode.toUpperCase() !== 'VALIDATED') return undefined;
  const declarations = declarationsOf(envelope.request);
  for (let index = 0; index < declarations.length; index++) {
    const declaration = declarations[index]!;
    if (hasRequiredProperty(declaration.parameters ?? declaration.parametersJsonSchema)) continue;
    return reject(
      'validated-tools-required',
      400,
      claudeInvalidRequest(
        `tools.${index}.custom.input_schema: tool '${declaration.name}' must list at least one property in 'required' when function calling mode is VALIDATED`,
      ),
    );
  }
  return undefined;
}

/** Whether a Claude request asks for thinking (the model name or any thinking setting). */
export function claudeThinkingOn(envelope: GenerateEnvelope): boolean {
  if (!isClaudeModel(envelope.model)) return false;
  const config = envelope.request.generationConfig?.thinkingConfig;
  // The thinking config decides, not the model id: a thinking-free retry of a `-thinking` model sends none and is
  // answered without thinking (assumption: the reference's one-time retry relies on exactly this).
  return (
    config?.includeThoughts === true ||
    (typeof config?.thinkingBudget === 'number' && config.thinkingBudget > 0) ||
    config?.thinkingLevel !== undefined
  );
}

function lastModelTurn(contents: readonly Content[]): number {
  for (let index = contents.length - 1; index >= 0; index--) if (contents[index]!.role === 'model') return index;
  return -1;
}

/**
 * Claude with thinking on: the final model turn, when it called a tool, must carry a thought signature this
 * backend issued (on a thought part or on the call). Claude rejects the skip sentinel.
 */
export function checkClaudeToolHistory(envelope: GenerateEnvelope, context: CheckContext): Rejection | undefined {
  if (!context.rules.claudeToolHistoryThinking || !claudeThinkingOn(envelope)) return undefined;
  const index = lastModelTurn(envelope.request.contents);
  if (index < 0) return undefined;
  const parts = envelope.request.contents[index]!.parts;
  if (!parts.some((part) => part.functionCall !== undefined)) return undefined;
  const signed = parts.some((part) => {
    const signature = part.thoughtSignature ?? part.thought_signature;
    return (
      (part.thought === true || part.functionCall !== undefined) &&
      typeof signature === 'string' &&
      context.signer.verify(signature)
    );
  });
  if (signed) return undefined;
  return reject(
    'claude-tool-history-thinking',
    400,
    claudeInvalidRequest(
      `messages.${index}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`tool_use\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking`,
    ),
  );
}

function systemText(request: GenerateRequest): string {
  const parts = request.systemInstruction?.parts;
  if (!Array.isArray(parts)) return '';
  return parts.map((part) => (typeof part.text === 'string' ? part.text : '')).join('\n');
}

/** A trigger phrase in the system instruction gets a quota-looking error with no quota reason. */
export function checkPromptFilter(request: GenerateRequest, context: CheckContext): Rejection | undefined {
  const filter = context.rules.promptFilter;
  if (!filter.enabled || filter.phrases.length === 0) return undefined;
  const text = systemText(request);
  if (text === '' || !filter.phrases.some((phrase) => phrase !== '' && text.includes(phrase))) return undefined;
  return reject('prompt-filter', filter.status, promptFilterError(filter.status));
}
