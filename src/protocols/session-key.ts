/**
 * The session key that sticky account selection, signature caches and the v1internal `requestId` use.
 */
import { hash } from 'node:crypto';

export interface SessionKeyInput {
  /** An explicit session id from the client (header), used as it is when non-empty. */
  explicit?: string | undefined;
  /** The user texts of the conversation, oldest first. */
  texts: readonly string[];
}

/** Short or harness-injected texts say nothing about which conversation this is. */
function isDistinctive(text: string): boolean {
  return text.trim().length > 10 && !text.includes('<system-reminder>');
}

/**
 * Returns the explicit value if given, else `sid-` + 16 hex of SHA-256 of the first distinctive user text
 * (falling back to the first non-empty text, then to the empty string), so the same conversation always maps
 * to the same key.
 */
export function deriveSessionKey(input: SessionKeyInput): string {
  const explicit = input.explicit?.trim();
  if (explicit !== undefined && explicit !== '') return explicit;
  const chosen = input.texts.find(isDistinctive) ?? input.texts.find((text) => text.trim() !== '') ?? '';
  return `sid-${hash('sha256', chosen, 'hex').slice(0, 16)}`;
}
