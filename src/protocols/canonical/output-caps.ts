/**
 * Per-model output caps (issue 16): the backend answers 400 to a `maxOutputTokens` above the model's limit
 * (Claude 64000, claude-opus-4-6-thinking 57344, 65535 for the Gemini Pro models), so a larger client limit is
 * lowered to the cap, for every dialect, where the envelope is built. A thinking budget that no longer fits below
 * the capped limit is lowered too (Claude requires budget < max_tokens).
 */
import { outputLimit } from '../models.ts';
import type { GeminiRequest } from './types.ts';

/** The request with `maxOutputTokens` (and a budget that would not fit) capped for `model`; input unchanged. */
export function capOutputTokens(request: GeminiRequest, model: string): GeminiRequest {
  const config = request.generationConfig;
  const requested = config?.maxOutputTokens;
  const cap = outputLimit(model);
  if (config === undefined || typeof requested !== 'number' || requested <= cap) return request;
  const capped = { ...config, maxOutputTokens: cap };
  const budget = config.thinkingConfig?.thinkingBudget;
  if (typeof budget === 'number' && budget >= cap)
    capped.thinkingConfig = { ...config.thinkingConfig, thinkingBudget: cap - 1 };
  return { ...request, generationConfig: capped };
}
