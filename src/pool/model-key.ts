/**
 * Model names → the keys cooldowns, quota data and quota protection are grouped by. Google meters quota per
 * family, so `gemini-3-flash` and `gemini-2.5-flash-lite` share one key, as in the reference
 * (accounts-tokens-pool.md §6.2). Names that match no family keep their own (lower-cased) key.
 */
export function normalizeModelKey(model: string): string {
  const name = model.trim().toLowerCase();
  if (name.includes('image')) return name.includes('flash') ? 'gemini-3.1-flash-image' : 'gemini-3-pro-image';
  if (name.includes('flash')) return 'gemini-3-flash';
  if (name.includes('pro')) return 'gemini-3-pro-high';
  if (/claude|opus|sonnet|haiku/.test(name)) return 'claude';
  return name;
}
