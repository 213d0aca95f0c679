/**
 * The deterministic answer rules (documented in docs/fake-google.md): what the fake says is a pure function of
 * the request, so tests can predict every byte except ids.
 */
import { createHash } from 'node:crypto';
import type {
  Content,
  FunctionCallPart,
  FunctionDeclaration,
  GenerateEnvelope,
  GenerateRequest,
  Part,
} from './envelope.ts';
import { imageFor } from './image.ts';
import { fakeModels, isClaudeModel, isGeminiModel, isThinkingModel } from './models.ts';
import { type SignatureAuthority, skipSignatureSentinel } from './signatures.ts';

export interface Answer {
  thoughtText?: string;
  thoughtSignature?: string;
  text?: string;
  functionCall?: Required<FunctionCallPart>;
  image?: { mimeType: string; data: string };
  promptTokens: number;
  candidateTokens: number;
  thoughtTokens: number;
}

const toolTrigger = /\b(?:call|use tool)\s+([A-Za-z_][A-Za-z0-9_.-]*)/;

/** Text of the non-thought parts of one content, joined without separators. */
function plainText(content: Content | undefined): string {
  if (content === undefined) return '';
  let text = '';
  for (const part of content.parts) if (typeof part.text === 'string' && part.thought !== true) text += part.text;
  return text;
}

/** The last content not written by the model: the turn being answered. */
export function lastUserContent(contents: readonly Content[]): Content | undefined {
  for (let index = contents.length - 1; index >= 0; index--) {
    const content = contents[index]!;
    if (content.role !== 'model') return content;
  }
  return undefined;
}

/** About four characters per token, 258 per image (Gemini's fixed image cost), at least 1. */
export function countRequestTokens(request: GenerateRequest): number {
  let characters = 0;
  let images = 0;
  const visit = (content: Content | undefined) => {
    if (content === undefined || !Array.isArray(content.parts)) return;
    for (const part of content.parts) {
      if (typeof part.text === 'string') characters += part.text.length;
      if (part.functionCall !== undefined) characters += JSON.stringify(part.functionCall).length;
      if (part.functionResponse !== undefined) characters += JSON.stringify(part.functionResponse).length;
      if (part.inlineData !== undefined) images++;
    }
  };
  for (const content of request.contents) visit(content);
  visit(request.systemInstruction);
  if (request.tools !== undefined) characters += JSON.stringify(request.tools).length;
  return Math.max(1, Math.ceil(characters / 4) + images * 258);
}

const tokensOf = (text: string): number => Math.ceil(text.length / 4);

function declarations(request: GenerateRequest): FunctionDeclaration[] {
  const found: FunctionDeclaration[] = [];
  for (const tool of request.tools ?? []) {
    const list = tool.functionDeclarations ?? tool.function_declarations;
    if (Array.isArray(list)) found.push(...list);
  }
  return found;
}

/** Synthesises a value satisfying a (Gemini or JSON) schema: strings "example", numbers 1, booleans true. */
export function exampleFor(schema: unknown, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 6) return 'example';
  const node = schema as Record<string, unknown>;
  if (Array.isArray(node['enum']) && node['enum'].length > 0) return node['enum'][0];
  let type = node['type'];
  if (Array.isArray(type)) type = type.find((candidate) => String(candidate).toLowerCase() !== 'null');
  const kind = typeof type === 'string' ? type.toLowerCase() : node['properties'] !== undefined ? 'object' : 'string';
  switch (kind) {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [exampleFor(node['items'], depth + 1)];
    case 'object': {
      const result: Record<string, unknown> = {};
      const properties = node['properties'];
      if (typeof properties === 'object' && properties !== null) {
        for (const [key, value] of Object.entries(properties)) result[key] = exampleFor(value, depth + 1);
      }
      return result;
    }
    case 'null':
      return null;
    default:
      return 'example';
  }
}

/** A JSON object written right after the trigger (`call get_weather {"city":"Paris"}`) becomes the args. */
function explicitArgs(rest: string): Record<string, unknown> | undefined {
  const start = rest.indexOf('{');
  if (start < 0 || rest.slice(0, start).trim() !== '') return undefined;
  for (let end = rest.lastIndexOf('}'); end > start; end = rest.lastIndexOf('}', end - 1)) {
    try {
      const parsed: unknown = JSON.parse(rest.slice(start, end + 1));
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        return parsed as Record<string, unknown>;
      }
    } catch {
      // keep shrinking: the object may be followed by prose containing another `}`
    }
  }
  return undefined;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function toolCallFor(request: GenerateRequest, userText: string): Required<FunctionCallPart> | undefined {
  const match = toolTrigger.exec(userText);
  if (match === null) return undefined;
  const name = match[1]!;
  const declaration = declarations(request).find((candidate) => candidate.name === name);
  if (declaration === undefined) return undefined;
  const args =
    explicitArgs(userText.slice(match.index + match[0].length)) ??
    (exampleFor(declaration.parameters ?? declaration.parametersJsonSchema ?? { type: 'object' }) as Record<
      string,
      unknown
    >);
  return { name, args, id: `call_${shortHash(`${name}|${JSON.stringify(args)}|${request.contents.length}`)}` };
}

function imageSummary(content: Content | undefined): string {
  if (content === undefined) return '';
  const types: string[] = [];
  let count = 0;
  for (const part of content.parts) {
    if (part.inlineData !== undefined) {
      count++;
      if (!types.includes(part.inlineData.mimeType)) types.push(part.inlineData.mimeType);
    }
  }
  return count === 0 ? '' : `Saw ${count} image(s) of type ${types.join(', ')}. `;
}

function toolResultsText(content: Content | undefined): string | undefined {
  if (content === undefined) return undefined;
  const lines: string[] = [];
  for (const part of content.parts) {
    if (part.functionResponse !== undefined) {
      lines.push(
        `Tool ${part.functionResponse.name} returned: ${JSON.stringify(part.functionResponse.response ?? null)}`,
      );
    }
  }
  return lines.length === 0 ? undefined : lines.join('\n');
}

/** Decides the answer for a validated envelope. Pure apart from the signer. */
export function buildAnswer(envelope: GenerateEnvelope, signer: SignatureAuthority): Answer {
  const { request, model } = envelope;
  const userContent = lastUserContent(request.contents);
  const userText = plainText(userContent);
  const config = request.generationConfig;
  const thinking =
    config?.thinkingConfig?.includeThoughts === true ||
    config?.thinkingConfig?.thinkingLevel !== undefined ||
    isThinkingModel(model);
  const answer: Answer = { promptTokens: countRequestTokens(request), candidateTokens: 0, thoughtTokens: 0 };

  const toolResults = toolResultsText(userContent);
  const functionCall = toolResults === undefined ? toolCallFor(request, userText) : undefined;
  if (functionCall !== undefined) {
    answer.functionCall = functionCall;
  } else if (config?.responseMimeType === 'application/json') {
    const schema = config.responseSchema ?? config.responseJsonSchema;
    answer.text = JSON.stringify(schema === undefined ? { echo: userText } : exampleFor(schema));
  } else {
    answer.text = toolResults ?? `${imageSummary(userContent)}Echo: ${userText}`;
  }
  if (thinking) {
    answer.thoughtText = `Thinking about: ${userText.slice(0, 80)}`;
    answer.thoughtSignature = signer.issue(`${model}\n${answer.thoughtText}`);
    answer.thoughtTokens = tokensOf(answer.thoughtText);
  }
  if (fakeModels[model]?.generatesImages === true && answer.functionCall === undefined) {
    const ratio = config?.imageConfig?.aspectRatio;
    answer.image = { mimeType: 'image/png', data: imageFor(typeof ratio === 'string' ? ratio : undefined) };
  }
  answer.candidateTokens =
    tokensOf(answer.text ?? '') +
    (answer.functionCall === undefined ? 0 : tokensOf(JSON.stringify(answer.functionCall)));
  return answer;
}

export interface SignatureChecks {
  claude: boolean;
  gemini: boolean;
}

/** Validates thought signatures in the history; returns the 400 message, or undefined when the history passes. */
export function checkHistorySignatures(
  model: string,
  contents: readonly Content[],
  signer: SignatureAuthority,
  checks: SignatureChecks,
): string | undefined {
  const claude = checks.claude && isClaudeModel(model);
  const gemini = checks.gemini && isGeminiModel(model);
  if (!claude && !gemini) return undefined;
  for (let index = 0; index < contents.length; index++) {
    const content = contents[index]!;
    if (content.role !== 'model') continue;
    let firstCallSeen = false;
    for (let position = 0; position < content.parts.length; position++) {
      const part: Part = content.parts[position]!;
      const signature = part.thoughtSignature ?? part.thought_signature;
      if (claude && part.thought === true && signature !== undefined && !signer.verify(signature)) {
        return `messages.${index}.content.${position}: Invalid \`signature\` in \`thinking\` block`;
      }
      // Gemini only demands a signature on the first function call of each model turn (parallel calls share it).
      if (gemini && part.functionCall !== undefined && !firstCallSeen) {
        firstCallSeen = true;
        if (signature === skipSignatureSentinel) continue;
        if (signature !== undefined && !signer.verify(signature)) return 'Corrupted thought signature.';
        if (signature === undefined) {
          return `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${part.functionCall.name}\` , position ${index + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`;
        }
      }
    }
  }
  return undefined;
}
