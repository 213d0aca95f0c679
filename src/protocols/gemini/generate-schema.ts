/**
 * Validation of a Gemini `generateContent` body. Loose (the body is passed through almost as it is), but the
 * structure agw walks — contents, parts, tools, generationConfig — must have the right types.
 */
import { z } from 'zod';
import { GatewayError } from '../../errors/catalogue.ts';
import { describeIssues } from '../openai/chat-schema.ts';

const part = z.looseObject({
  text: z.string().optional(),
  thought: z.boolean().optional(),
  thoughtSignature: z.string().optional(),
  thought_signature: z.string().optional(),
  inlineData: z.looseObject({ mimeType: z.string(), data: z.string() }).optional(),
  fileData: z.looseObject({ mimeType: z.string().optional(), fileUri: z.string() }).optional(),
  functionCall: z
    .looseObject({ name: z.string(), args: z.record(z.string(), z.unknown()).optional(), id: z.string().optional() })
    .optional(),
  functionResponse: z
    .looseObject({ name: z.string(), response: z.record(z.string(), z.unknown()), id: z.string().optional() })
    .optional(),
});

const content = z.looseObject({ role: z.string().optional(), parts: z.array(part) });

const functionDeclaration = z.looseObject({
  name: z.string(),
  description: z.string().nullable().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  parametersJsonSchema: z.record(z.string(), z.unknown()).optional(),
});

export const generateRequestSchema = z.looseObject({
  contents: z.array(content).min(1),
  systemInstruction: z.looseObject({ role: z.string().optional(), parts: z.array(part) }).optional(),
  tools: z.array(z.looseObject({ functionDeclarations: z.array(functionDeclaration).optional() })).optional(),
  toolConfig: z.record(z.string(), z.unknown()).optional(),
  generationConfig: z
    .looseObject({
      temperature: z.number().optional(),
      topP: z.number().optional(),
      topK: z.number().optional(),
      maxOutputTokens: z.number().int().positive().optional(),
      candidateCount: z.number().int().min(1).max(1).optional(),
      stopSequences: z.array(z.string()).optional(),
      responseMimeType: z.string().optional(),
      thinkingConfig: z
        .looseObject({
          includeThoughts: z.boolean().optional(),
          thinkingBudget: z.number().int().optional(),
          thinkingLevel: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
  safetySettings: z.array(z.looseObject({ category: z.string(), threshold: z.string() })).optional(),
});

export type GenerateRequest = z.infer<typeof generateRequestSchema>;

/** Validates a parsed JSON body; throws AGW_INVALID_REQUEST naming the offending field. */
export function parseGenerateRequest(body: unknown): GenerateRequest {
  const result = generateRequestSchema.safeParse(body);
  if (!result.success) {
    throw new GatewayError('AGW_INVALID_REQUEST', `Invalid request: ${describeIssues(result.error.issues)}`);
  }
  return result.data;
}
