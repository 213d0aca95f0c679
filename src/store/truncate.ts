/**
 * Byte-bounded truncation of reasons stored in account files (and of the messages the pool keeps beside them), as
 * the reference does it (accounts-tokens-pool.md §4.6): unchanged when it fits; otherwise cut at the last character
 * boundary at or below `maxBytes - 3` and end with `...`, so the result never exceeds `maxBytes` UTF-8 bytes. It
 * lives with the store because the bound exists so that account files cannot grow; the pool imports it from here.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  const budget = Math.max(0, maxBytes - 3);
  let kept = '';
  let used = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character, 'utf8');
    if (used + size > budget) break;
    kept += character;
    used += size;
  }
  return `${kept}...`;
}

/** The reference's bound on `disabled_reason`. */
export const disabledReasonMaxBytes = 800;
