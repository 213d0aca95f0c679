/**
 * Removing thinking from Gemini contents, shared by the request translator (when thinking must be off) and the
 * signature-error retry.
 */

/**
 * Gemini's documented way to send a function call whose signature is unknown. Only Gemini honours it; sending it to a
 * Claude model would be a forged signature.
 */
import { skipSignatureSentinel } from '../canonical/safety.ts';
import type { GeminiContent, GeminiPart } from '../canonical/types.ts';
import type { ModelFamily } from '../models.ts';

export { skipSignatureSentinel };

/**
 * Returns copies of `contents` without thought parts and without signatures. Gemini function calls keep working
 * without their signature only through the sentinel, so they get it; other families get no signature at all.
 * Contents left without parts are removed.
 */
export function stripThinking(contents: readonly GeminiContent[], family: ModelFamily): GeminiContent[] {
  const result: GeminiContent[] = [];
  for (const content of contents) {
    const parts: GeminiPart[] = [];
    for (const part of content.parts) {
      if (part.thought === true) continue;
      const { thoughtSignature: _signature, thought_signature: _snakeSignature, ...rest } = part;
      if (rest.functionCall !== undefined && family === 'gemini') rest.thoughtSignature = skipSignatureSentinel;
      if (Object.keys(rest).length > 0) parts.push(rest);
    }
    if (parts.length > 0) result.push({ ...content, parts });
  }
  return result;
}
