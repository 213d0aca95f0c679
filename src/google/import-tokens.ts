/**
 * Refresh tokens from what a user pastes or imports: a JSON array of tokens or of `{email?, refresh_token}`
 * objects, the reference's export format `{accounts:[…]}`, or any text containing Google refresh tokens
 * (`1//…`). Duplicates are dropped; order is kept.
 */
export function tokensFromText(text: string): string[] {
  const trimmed = text.trim();
  const found: string[] = [];
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      const items = Array.isArray(parsed) ? parsed : ((parsed as { accounts?: unknown }).accounts ?? []);
      for (const item of Array.isArray(items) ? items : []) {
        if (typeof item === 'string') found.push(item.trim());
        else if (
          typeof item === 'object' &&
          item !== null &&
          typeof (item as { refresh_token?: unknown }).refresh_token === 'string'
        ) {
          found.push((item as { refresh_token: string }).refresh_token.trim());
        }
      }
    } catch {
      // Not JSON after all: fall through to the token pattern.
    }
  }
  if (found.length === 0) for (const match of trimmed.matchAll(/1\/\/[A-Za-z0-9_-]+/g)) found.push(match[0]);
  return [...new Set(found.filter((token) => token !== ''))];
}
