/**
 * Validation of an OpenAI Responses API request body (`POST /v1/responses` and `/v1/responses/compact`). Loose like
 * the chat schema: unknown fields are kept and ignored, but the fields agw reads must have the right types.
 */
import { z } from 'zod';
import { GatewayError } from '../../errors/catalogue.ts';
import { describeIssues } from './chat-schema.ts';

const imageUrl = z.union([z.string(), z.looseObject({ url: z.string() })]);

const contentPart = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  image_url: imageUrl.nullable().optional(),
  file_id: z.string().nullable().optional(),
  file_data: z.string().optional(),
  filename: z.string().optional(),
  refusal: z.string().optional(),
});

const summaryPart = z.looseObject({ type: z.string(), text: z.string() });

/** One input item: a message (with or without `type`), a tool call, a tool output, a reasoning or compaction item. */
const inputItem = z.looseObject({
  type: z.string().optional(),
  id: z.string().nullable().optional(),
  role: z.string().optional(),
  content: z
    .union([z.string(), z.array(contentPart)])
    .nullable()
    .optional(),
  call_id: z.string().optional(),
  name: z.string().optional(),
  arguments: z.string().optional(),
  input: z.string().optional(),
  output: z.union([z.string(), z.array(contentPart)]).optional(),
  summary: z.array(summaryPart).optional(),
  encrypted_content: z.string().nullable().optional(),
});

const functionTool = z.looseObject({
  type: z.string(),
  name: z.string().optional(),
  description: z.string().nullable().optional(),
  parameters: z.record(z.string(), z.unknown()).nullable().optional(),
});

const tool = functionTool.extend({
  /** Custom (freeform) tools: a grammar or plain text the model writes as the tool's whole input. */
  format: z
    .looseObject({ type: z.string(), syntax: z.string().optional(), definition: z.string().optional() })
    .optional(),
  /** Namespace tools group function tools under one name. */
  tools: z.array(functionTool).optional(),
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({
    type: z.string(),
    name: z.string().optional(),
    mode: z.string().optional(),
    tools: z.array(z.looseObject({ type: z.string(), name: z.string().optional() })).optional(),
  }),
]);

const textFormat = z.looseObject({
  type: z.enum(['text', 'json_object', 'json_schema']),
  name: z.string().optional(),
  schema: z.record(z.string(), z.unknown()).optional(),
  strict: z.boolean().nullable().optional(),
});

export const responsesRequestSchema = z.looseObject({
  /** Optional only when `previous_response_id` names a stored response, whose model is then used. */
  model: z.string().min(1).optional(),
  input: z.union([z.string(), z.array(inputItem)]).optional(),
  instructions: z.string().nullable().optional(),
  previous_response_id: z.string().min(1).nullable().optional(),
  store: z.boolean().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  reasoning: z
    .looseObject({ effort: z.string().nullable().optional(), summary: z.string().nullable().optional() })
    .nullable()
    .optional(),
  text: z.looseObject({ format: textFormat.optional() }).nullable().optional(),
  max_output_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  prompt_cache_key: z.string().nullable().optional(),
  user: z.string().optional(),
});

export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;
export type ResponsesInputItem = z.infer<typeof inputItem>;
export type ResponsesContentPart = z.infer<typeof contentPart>;
export type ResponsesTool = z.infer<typeof tool>;
export type ResponsesToolChoice = z.infer<typeof toolChoice>;

/** Validates a parsed JSON body; throws AGW_INVALID_REQUEST naming the offending field. */
export function parseResponsesRequest(body: unknown): ResponsesRequest {
  const result = responsesRequestSchema.safeParse(body);
  if (!result.success) {
    throw new GatewayError('AGW_INVALID_REQUEST', `Invalid request: ${describeIssues(result.error.issues)}`);
  }
  return result.data;
}
