import { createHash } from 'node:crypto';

/**
 * The sticky-session key of an Anthropic conversation: the client's `metadata.user_id` when it sent one (Claude Code
 * puts a per-conversation id there), otherwise a hash of the first user text, which stays the same on every turn of
 * one conversation.
 */
export function sessionKeyFor(userId: string | undefined, firstUserText: string): string {
  if (userId !== undefined && userId.trim() !== '') return userId;
  const digest = createHash('sha256').update(firstUserText, 'utf8').digest('hex');
  return `sid-${digest.slice(0, 16)}`;
}
