/**
 * Validation of a legacy OpenAI Completions request (`POST /v1/completions`). Loose: unknown fields are kept and
 * ignored; the fields agw reads must have the right types, and features it cannot serve are refused by name.
 */
import { z } from 'zod';
import { GatewayError } from '../../errors/catalogue.ts';
import { describeIssues } from './chat-schema.ts';

export const completionsRequestSchema = z.looseObject({
  model: z.string().min(1),
  /** One prompt: a string, or an array holding one string (token arrays are refused). */
  prompt: z.union([z.string(), z.array(z.string()).length(1)]),
  suffix: z.string().nullable().optional(),
  max_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.literal(1).nullable().optional(),
  best_of: z.literal(1).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  logprobs: z.literal(0).nullable().optional(),
  echo: z.boolean().nullable().optional(),
  stop: z
    .union([z.string(), z.array(z.string())])
    .nullable()
    .optional(),
  presence_penalty: z.number().nullable().optional(),
  frequency_penalty: z.number().nullable().optional(),
  seed: z.number().int().nullable().optional(),
  user: z.string().optional(),
});

export type CompletionsRequest = z.infer<typeof completionsRequestSchema>;

/** Validates a parsed JSON body; throws AGW_INVALID_REQUEST naming the offending field. */
export function parseCompletionsRequest(body: unknown): CompletionsRequest {
  const result = completionsRequestSchema.safeParse(body);
  if (!result.success) {
    throw new GatewayError('AGW_INVALID_REQUEST', `Invalid request: ${describeIssues(result.error.issues)}`);
  }
  if (typeof result.data.suffix === 'string' && result.data.suffix !== '') {
    throw new GatewayError('AGW_INVALID_REQUEST', 'suffix: insertion (a non-empty suffix) is not supported');
  }
  return result.data;
}

/** The prompt text of a validated request. */
export function promptOf(request: CompletionsRequest): string {
  return typeof request.prompt === 'string' ? request.prompt : (request.prompt[0] as string);
}
