/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes, ending in `...` when it was cut, never splitting a character —
 * the reference's rule for `disabled_reason` (accounts-tokens-pool.md §4.6), so account files cannot grow.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(text).length <= maxBytes) return text;
  const budget = Math.max(0, maxBytes - 3);
  let used = 0;
  let end = 0;
  for (const character of text) {
    const size = encoder.encode(character).length;
    if (used + size > budget) break;
    used += size;
    end += character.length;
  }
  return text.slice(0, end) + '...';
}

/** Removes anything that looks like an OAuth token or key, so refresh errors can be stored and logged. */
export function scrubSecrets(text: string): string {
  return text
    .replace(/1\/\/[\w.-]{8,}/g, '[redacted]')
    .replace(/ya29\.[\w.-]+/g, '[redacted]')
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, '[redacted]')
    .replace(/GOCSPX-[\w-]+/g, '[redacted]');
}
