/**
 * Recognises the small housekeeping requests Claude Code sends beside the real conversation (conversation titles,
 * summaries, next-prompt suggestions, connectivity probes), so the server can route them to a cheap model instead
 * of spending the main model's quota, and the warm-up pings it can answer locally.
 */
import type { AnthropicMessage, MessagesRequest } from './request-schema.ts';

export type BackgroundTaskKind = 'title' | 'summary' | 'suggestion' | 'probe';

/** Matched case-sensitively against the first 500 characters: these are fixed prompts, not user prose. */
const patterns: ReadonlyArray<readonly [BackgroundTaskKind, readonly string[]]> = [
  [
    'title',
    ['write a 5-10 word title', 'Generate a title for', 'Generate a concise title', 'extract a 2-3 word title'],
  ],
  [
    'summary',
    [
      'Summarize this coding conversation',
      'in under 50 characters',
      'Provide a concise summary',
      'Write a brief summary',
    ],
  ],
  [
    'suggestion',
    ['suggest what the user might', 'Suggest a follow-up', 'predict the next prompt', 'prompt suggestion'],
  ],
  ['probe', ['check current directory', 'test connection', 'connectivity check']],
];

/** Longer texts are real work, whatever they contain. */
const maxTaskBytes = 800;
const scannedCharacters = 500;

/**
 * The kind of background task this request is, or undefined for ordinary conversation turns. Looks at the last user
 * text (ignoring `<system-reminder>` blocks) and, for title prompts, the system prompt.
 */
export function detectBackgroundTask(
  request: Pick<MessagesRequest, 'messages' | 'system'>,
): BackgroundTaskKind | undefined {
  const systemText =
    typeof request.system === 'string' ? request.system : (request.system ?? []).map((block) => block.text).join('\n');
  if (systemText.includes('extract a 2-3 word title') || systemText.includes('write a 5-10 word title')) return 'title';
  const text = lastUserText(request.messages);
  if (text === undefined || text.startsWith('Warmup')) return undefined;
  if (Buffer.byteLength(text, 'utf8') > maxTaskBytes) return undefined;
  const head = text.slice(0, scannedCharacters);
  for (const [kind, needles] of patterns) if (needles.some((needle) => head.includes(needle))) return kind;
  return undefined;
}

/**
 * Whether the request is Claude Code's warm-up ping (last user message is `Warmup`), which the server may answer
 * locally without using an account.
 */
export function isWarmupRequest(request: Pick<MessagesRequest, 'messages'>): boolean {
  const last = request.messages.at(-1);
  if (last === undefined || last.role !== 'user') return false;
  if (typeof last.content === 'string') return last.content.startsWith('Warmup') && last.content.length < 100;
  return last.content.some(
    (block) => block.type === 'text' && (block.text === 'Warmup' || block.text.startsWith('Warmup\n')),
  );
}

function lastUserText(messages: readonly AnthropicMessage[]): string | undefined {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index];
    if (message === undefined || message.role !== 'user') continue;
    const texts =
      typeof message.content === 'string'
        ? [message.content]
        : message.content.flatMap((block) => (block.type === 'text' ? [block.text] : []));
    const text = texts
      .filter((part) => !part.includes('<system-reminder>'))
      .join('\n')
      .trim();
    if (text !== '') return text;
  }
  return undefined;
}
