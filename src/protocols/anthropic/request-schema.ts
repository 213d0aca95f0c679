/**
 * Validation of Anthropic Messages request bodies. Unknown keys are kept (clients send new fields before we model
 * them) but every modelled field has its type checked, and unknown content-block types are refused with a message
 * that names the block, so a client sees exactly what agw cannot translate.
 */
import { z } from 'zod';
import { GatewayError } from '../../errors/catalogue.ts';
import { remoteUrlProblem } from '../remote-url.ts';

const base64Source = z.looseObject({ type: z.literal('base64'), media_type: z.string(), data: z.string() });
const urlSource = z.looseObject({ type: z.literal('url'), url: z.string() });
const textSource = z.looseObject({ type: z.literal('text'), media_type: z.string().optional(), data: z.string() });

const textBlock = z.looseObject({ type: z.literal('text'), text: z.string() });
const imageBlock = z.looseObject({ type: z.literal('image'), source: z.union([base64Source, urlSource]) });
const documentBlock = z.looseObject({
  type: z.literal('document'),
  source: z.union([base64Source, urlSource, textSource]),
  title: z.string().nullish(),
});
const thinkingBlock = z.looseObject({
  type: z.literal('thinking'),
  thinking: z.string(),
  signature: z.string().optional(),
});
const redactedThinkingBlock = z.looseObject({ type: z.literal('redacted_thinking'), data: z.string() });
const toolUseBlock = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.record(z.string(), z.unknown()),
  /** Non-standard; older proxies put the Gemini signature here. Honoured only when agw issued it. */
  signature: z.string().optional(),
});
const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(z.union([textBlock, imageBlock, documentBlock]))]).optional(),
  is_error: z.boolean().optional(),
});

const contentBlock = z.discriminatedUnion('type', [
  textBlock,
  imageBlock,
  documentBlock,
  thinkingBlock,
  redactedThinkingBlock,
  toolUseBlock,
  toolResultBlock,
]);

const messageSchema = z.looseObject({
  // Claude Code also sends `system` messages inside `messages`; they join the system instruction.
  role: z.enum(['user', 'assistant', 'system']),
  content: z.union([z.string(), z.array(contentBlock)]),
});

const toolSchema = z.looseObject({
  name: z.string().min(1),
  type: z.string().optional(),
  description: z.string().nullish(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
});

const toolChoiceSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('tool'), name: z.string(), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('none') }),
]);

const thinkingSchema = z.looseObject({
  type: z.enum(['enabled', 'disabled', 'adaptive']),
  budget_tokens: z.number().int().nonnegative().optional(),
});

const countTokensShape = {
  model: z.string().min(1),
  messages: z.array(messageSchema).min(1),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  thinking: thinkingSchema.optional(),
};

const messagesRequestSchema = z.looseObject({
  ...countTokensShape,
  max_tokens: z.number().int().positive(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().nonnegative().optional(),
  stream: z.boolean().optional(),
  /** `effort` (low | medium | high | max) goes with adaptive thinking; other values are read as high. */
  output_config: z.looseObject({ effort: z.string().optional() }).optional(),
});

const countTokensRequestSchema = z.looseObject(countTokensShape);

export type MessagesRequest = z.infer<typeof messagesRequestSchema>;
export type CountTokensRequest = z.infer<typeof countTokensRequestSchema>;
export type AnthropicMessage = z.infer<typeof messageSchema>;
export type ContentBlock = z.infer<typeof contentBlock>;
export type ToolResultBlock = z.infer<typeof toolResultBlock>;
export type ToolDefinition = z.infer<typeof toolSchema>;
export type ToolChoice = z.infer<typeof toolChoiceSchema>;

const knownBlockTypes = new Set([
  'text',
  'image',
  'document',
  'thinking',
  'redacted_thinking',
  'tool_use',
  'tool_result',
]);
const knownToolResultBlockTypes = new Set(['text', 'image', 'document']);

export interface ParseOptions {
  /** Whether image/document blocks may use a `url` source (remote fetch enabled in config). Default false. */
  allowUrlSources?: boolean;
}

/**
 * Validates an Anthropic Messages request body. Throws `GatewayError` `AGW_INVALID_REQUEST` naming the first bad
 * field, or `AGW_FORBIDDEN_URL` for a `url` source when those are not allowed.
 */
export function parseMessagesRequest(body: unknown, options: ParseOptions = {}): MessagesRequest {
  return parseWith(messagesRequestSchema, body, options);
}

/** Validates a `/v1/messages/count_tokens` body (like a Messages request, but `max_tokens` is not required). */
export function parseCountTokensRequest(body: unknown, options: ParseOptions = {}): CountTokensRequest {
  return parseWith(countTokensRequestSchema, body, options);
}

function parseWith<Schema extends z.ZodType<{ messages: AnthropicMessage[] }>>(
  schema: Schema,
  body: unknown,
  options: ParseOptions,
): z.infer<Schema> {
  rejectUnknownBlocks(body);
  const result = schema.safeParse(body);
  if (!result.success) {
    const first = result.error.issues[0];
    const issue = first === undefined ? undefined : deepestIssue(first);
    const field = issue === undefined || issue.path.length === 0 ? 'body' : issue.path.join('.');
    const reason = issue?.message ?? 'invalid';
    throw new GatewayError('AGW_INVALID_REQUEST', `Invalid request body: ${field}: ${reason}`, {
      details: { field, issues: result.error.issues.length },
    });
  }
  if (options.allowUrlSources !== true) rejectUrlSources(result.data);
  else rejectPrivateUrlSources(result.data);
  return result.data;
}

interface FlatIssue {
  path: PropertyKey[];
  message: string;
}

/**
 * A union (string or block array) reports only "Invalid input" at its own path; the branch that got furthest names
 * the actual bad field, which is what a client needs to see.
 */
function deepestIssue(issue: z.core.$ZodIssue): FlatIssue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { path: issue.path, message: issue.message };
  let best: FlatIssue = { path: issue.path, message: issue.message };
  for (const branch of issue.errors) {
    for (const inner of branch) {
      const candidate = deepestIssue(inner);
      const path = [...issue.path, ...candidate.path];
      if (path.length > best.path.length) best = { path, message: candidate.message };
    }
  }
  return best;
}

/** Gives unknown block types a clear message instead of zod's generic discriminator error. */
function rejectUnknownBlocks(body: unknown): void {
  if (!isRecord(body) || !Array.isArray(body['messages'])) return;
  body['messages'].forEach((message: unknown, messageIndex) => {
    if (!isRecord(message) || !Array.isArray(message['content'])) return;
    message['content'].forEach((block: unknown, blockIndex) => {
      const path = `messages.${messageIndex}.content.${blockIndex}`;
      checkBlockType(block, path, knownBlockTypes);
      if (isRecord(block) && block['type'] === 'tool_result' && Array.isArray(block['content'])) {
        block['content'].forEach((inner: unknown, innerIndex) => {
          checkBlockType(inner, `${path}.content.${innerIndex}`, knownToolResultBlockTypes);
        });
      }
    });
  });
}

function checkBlockType(block: unknown, path: string, known: Set<string>): void {
  if (!isRecord(block)) return;
  const type = block['type'];
  if (typeof type === 'string' && !known.has(type)) {
    throw new GatewayError(
      'AGW_INVALID_REQUEST',
      `Invalid request body: ${path}.type: content block type "${type}" is not supported (supported: ${[...known].join(', ')})`,
      { details: { field: `${path}.type` } },
    );
  }
}

function rejectUrlSources(request: { messages: AnthropicMessage[] }): void {
  const forbid = (path: string): never => {
    throw new GatewayError(
      'AGW_FORBIDDEN_URL',
      `${path}.source: url sources are disabled; send the data as base64 or enable remote fetch`,
      { details: { field: `${path}.source` } },
    );
  };
  request.messages.forEach((message, messageIndex) => {
    if (typeof message.content === 'string') return;
    message.content.forEach((block, blockIndex) => {
      const path = `messages.${messageIndex}.content.${blockIndex}`;
      if ((block.type === 'image' || block.type === 'document') && block.source.type === 'url') forbid(path);
      if (block.type === 'tool_result' && Array.isArray(block.content)) {
        block.content.forEach((inner, innerIndex) => {
          if ((inner.type === 'image' || inner.type === 'document') && inner.source.type === 'url')
            forbid(`${path}.content.${innerIndex}`);
        });
      }
    });
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** With url sources allowed, loopback/private/link-local hosts are still refused (see remote-url.ts). */
function rejectPrivateUrlSources(request: { messages: AnthropicMessage[] }): void {
  const check = (source: { type: string; url?: string }, path: string): void => {
    if (source.type !== 'url' || typeof source.url !== 'string') return;
    const problem = remoteUrlProblem(source.url);
    if (problem === undefined) return;
    throw new GatewayError('AGW_FORBIDDEN_URL', `${path}.source: the URL ${problem}`, {
      details: { field: `${path}.source` },
    });
  };
  request.messages.forEach((message, messageIndex) => {
    if (typeof message.content === 'string') return;
    message.content.forEach((block, blockIndex) => {
      const path = `messages.${messageIndex}.content.${blockIndex}`;
      if (block.type === 'image' || block.type === 'document') check(block.source, path);
      if (block.type === 'tool_result' && Array.isArray(block.content)) {
        block.content.forEach((inner, innerIndex) => {
          if (inner.type === 'image' || inner.type === 'document') check(inner.source, `${path}.content.${innerIndex}`);
        });
      }
    });
  });
}
