/**
 * Context compaction for Codex: a compaction turn (a `compaction_trigger` input item, or `POST /v1/responses/compact`)
 * asks the model for a summary of the conversation, which goes back to the client as one `compaction` item. The
 * client later sends that item back in place of the history it replaced; agw expands it into a user message.
 *
 * OpenAI's `encrypted_content` is opaque to the client, so agw's is simply the summary, marked and base64-encoded:
 * agw can tell its own items from foreign ones and never needs server-side state to expand them.
 */

const marker = 'agw.compaction.v1.';

/** Appended as the last user turn of a compaction request. */
export const compactionPrompt = [
  'The conversation above is about to be compacted: everything before this message will be replaced by your answer.',
  'Write a summary that lets the work continue without the original messages: the goal and the constraints the user',
  'gave, decisions taken, files, commands and results that matter, what is done, what is still open and the next step.',
  'Answer with the summary only.',
].join(' ');

/** The `encrypted_content` of a compaction item holding `summary`. */
export function encodeCompaction(summary: string): string {
  return marker + Buffer.from(summary, 'utf8').toString('base64');
}

/** The summary inside a compaction item agw produced, or undefined for any other content. */
export function decodeCompaction(content: string): string | undefined {
  if (!content.startsWith(marker)) return undefined;
  return Buffer.from(content.slice(marker.length), 'base64').toString('utf8');
}

/** The user text a compaction item stands for in the upstream conversation. */
export function compactedHistoryText(summary: string): string {
  return `Summary of the earlier part of this conversation (compacted):\n\n${summary}`;
}
