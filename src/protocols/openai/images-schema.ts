/**
 * Validation of OpenAI image requests: `POST /v1/images/generations` (JSON) and the fields of
 * `POST /v1/images/edits` (multipart form fields arrive as strings, so numbers are accepted as digit strings too).
 */
import { z } from 'zod';
import { GatewayError } from '../../errors/catalogue.ts';
import { describeIssues } from './chat-schema.ts';

/** At most this many images per request; each one is a separate upstream generation. */
export const maxImagesPerRequest = 4;

const count = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)])
  .pipe(z.number().int().min(1).max(maxImagesPerRequest));

export const imageRequestSchema = z.looseObject({
  prompt: z.string().min(1),
  model: z.string().min(1).optional(),
  n: count.nullable().optional(),
  /** `WIDTHxHEIGHT`, `auto`, or an aspect ratio such as `16:9`. */
  size: z.string().nullable().optional(),
  response_format: z.enum(['b64_json', 'url']).nullable().optional(),
  /** Gemini's output size (`1K`, `2K`, `4K`), an agw extension as in the reference system. */
  image_size: z.enum(['1K', '2K', '4K']).nullable().optional(),
  quality: z.string().nullable().optional(),
  style: z.string().nullable().optional(),
  user: z.string().optional(),
});

export type ImageRequest = z.infer<typeof imageRequestSchema>;

/** Validates the body (or the form fields); throws AGW_INVALID_REQUEST naming the offending field. */
export function parseImageRequest(body: unknown): ImageRequest {
  const result = imageRequestSchema.safeParse(body);
  if (!result.success) {
    throw new GatewayError('AGW_INVALID_REQUEST', `Invalid request: ${describeIssues(result.error.issues)}`);
  }
  return result.data;
}
