/**
 * Validation of an OpenAI Chat Completions request body. Loose: unknown fields are kept (and ignored), but the
 * fields agw reads must have the right types, and a wrong type names the field in the error.
 */
import { z } from 'zod';
import { GatewayError } from '../../errors/catalogue.ts';

const imageUrl = z.union([z.string(), z.looseObject({ url: z.string(), detail: z.string().optional() })]);

const contentPart = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  image_url: imageUrl.optional(),
  input_audio: z.looseObject({ data: z.string(), format: z.string() }).optional(),
  file: z.looseObject({ file_data: z.string().optional(), filename: z.string().optional() }).optional(),
});

const content = z.union([z.string(), z.array(contentPart), z.null()]);

const toolCall = z.looseObject({
  id: z.string().optional(),
  type: z.string().optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string().optional() }),
});

const message = z.looseObject({
  role: z.string(),
  content: content.optional(),
  name: z.string().optional(),
  reasoning_content: z.string().nullable().optional(),
  tool_calls: z.array(toolCall).nullable().optional(),
  tool_call_id: z.string().optional(),
});

const tool = z.looseObject({
  type: z.string().optional(),
  name: z.string().optional(),
  function: z
    .looseObject({
      name: z.string(),
      description: z.string().nullable().optional(),
      parameters: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.string(), function: z.looseObject({ name: z.string() }) }),
]);

const responseFormat = z.looseObject({
  type: z.enum(['text', 'json_object', 'json_schema']),
  json_schema: z
    .looseObject({ name: z.string().optional(), schema: z.record(z.string(), z.unknown()).optional() })
    .optional(),
});

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  n: z.number().int().min(1).optional(),
  max_tokens: z.number().int().positive().nullable().optional(),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  presence_penalty: z.number().nullable().optional(),
  frequency_penalty: z.number().nullable().optional(),
  seed: z.number().int().nullable().optional(),
  stop: z
    .union([z.string(), z.array(z.string())])
    .nullable()
    .optional(),
  response_format: responseFormat.optional(),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  parallel_tool_calls: z.boolean().optional(),
  reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullable().optional(),
  user: z.string().optional(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatMessage = z.infer<typeof message>;
export type ChatContentPart = z.infer<typeof contentPart>;

/** Describes zod issues as `field.path: problem`, at most three of them. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}

/** Validates a parsed JSON body; throws AGW_INVALID_REQUEST naming the offending field. */
export function parseChatRequest(body: unknown): ChatRequest {
  const result = chatRequestSchema.safeParse(body);
  if (!result.success) {
    throw new GatewayError('AGW_INVALID_REQUEST', `Invalid request: ${describeIssues(result.error.issues)}`);
  }
  return result.data;
}
