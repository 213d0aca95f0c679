/**
 * Model family of an upstream model name. Thought signatures are only valid inside the family that issued them
 * (Claude signatures are verified by Anthropic, Gemini signatures by Google), so every signature decision keys on it.
 * Local stand-in until `modelFamily` from ../models.ts is merged; same contract.
 */
export type ModelFamily = 'claude' | 'gemini' | 'other';

/** `claude` for Claude models, `gemini` for Gemini models, `other` for anything else. */
export function familyOf(model: string): ModelFamily {
  const name = model.toLowerCase();
  if (name.includes('claude')) return 'claude';
  if (name.includes('gemini')) return 'gemini';
  return 'other';
}
