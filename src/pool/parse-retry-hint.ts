/**
 * Finds how long Google wants us to wait after a 429, from the structured fields first and then only from the
 * few sentences Google is known to use (accounts-tokens-pool.md §6.6) — never from any number that happens to
 * appear in a message (weakness 22b). Long waits are returned as they are; nothing caps them (weakness 10).
 */
import type { UpstreamErrorBody } from './upstream-error-body.ts';

export interface RetryHint {
  readonly delayMs: number;
  /** When the quota resets, if the answer said so or the delay implies it. */
  readonly resetAtMs: number;
  readonly source:
    | 'retry-info'
    | 'quota-reset-delay'
    | 'quota-reset-timestamp'
    | 'retry-after-header'
    | 'error-retry-after'
    | 'text';
}

const durationPattern = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/;

/** Parses Google duration strings such as `135h9m46s`, `486586s`, `1.5s`, `250ms`; undefined when not one. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const match = durationPattern.exec(trimmed);
  if (match === null) return undefined;
  const [, hours, minutes, seconds, milliseconds] = match;
  if (hours === undefined && minutes === undefined && seconds === undefined && milliseconds === undefined) {
    return undefined;
  }
  const total =
    Number(hours ?? 0) * 3_600_000 +
    Number(minutes ?? 0) * 60_000 +
    Number(seconds ?? 0) * 1_000 +
    Number(milliseconds ?? 0);
  return Math.ceil(total);
}

function durationValue(value: unknown): number | undefined {
  if (typeof value === 'string') return parseDuration(value);
  if (typeof value === 'object' && value !== null) {
    const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
    const whole = typeof seconds === 'string' || typeof seconds === 'number' ? Number(seconds) : Number.NaN;
    if (!Number.isFinite(whole)) return undefined;
    const fraction = typeof nanos === 'number' ? nanos / 1e6 : 0;
    return Math.ceil(whole * 1000 + fraction);
  }
  return undefined;
}

/** The sentences of §6.6 (and the `quota will reset after <duration>` form of upstream §2.7), case-insensitive. */
const textPatterns: readonly { pattern: RegExp; toMs: (match: RegExpExecArray) => number | undefined }[] = [
  {
    pattern: /quota will reset after ((?:\d+(?:\.\d+)?(?:h|ms|m|s))+)/i,
    toMs: (match) => parseDuration(match[1] ?? ''),
  },
  {
    pattern: /try again in (\d+)m\s*(\d+)s/i,
    toMs: (match) => Number(match[1]) * 60_000 + Number(match[2]) * 1_000,
  },
  { pattern: /(?:try again in|backoff for|wait)\s*(\d+)s\b/i, toMs: (match) => Number(match[1]) * 1_000 },
  { pattern: /quota will reset in (\d+) second/i, toMs: (match) => Number(match[1]) * 1_000 },
  { pattern: /retry after (\d+) second/i, toMs: (match) => Number(match[1]) * 1_000 },
];

function headerValue(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** `Retry-After` as delta seconds or an HTTP date. */
export function parseRetryAfterHeader(value: string, nowMs: number): number | undefined {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  const at = Date.parse(trimmed);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * The wait Google asked for, in this order: RetryInfo.retryDelay, ErrorInfo.metadata.quotaResetDelay,
 * metadata.quotaResetTimeStamp, the Retry-After header, `error.retry_after`, then the known sentences.
 */
export function parseRetryHint(
  body: UpstreamErrorBody,
  bodyText: string,
  headers: Readonly<Record<string, string>>,
  nowMs: number,
): RetryHint | undefined {
  const make = (delayMs: number, source: RetryHint['source'], resetAtMs?: number): RetryHint => ({
    delayMs: Math.max(0, delayMs),
    resetAtMs: resetAtMs ?? nowMs + Math.max(0, delayMs),
    source,
  });
  const resetStamp = body.details
    .map((detail) => detail.metadata['quotaResetTimeStamp'])
    .find((value): value is string => typeof value === 'string' && Number.isFinite(Date.parse(value)));
  const resetStampMs = resetStamp === undefined ? undefined : Date.parse(resetStamp);

  for (const detail of body.details) {
    if (!detail.type.endsWith('RetryInfo')) continue;
    const delay = durationValue(detail.retryDelay);
    if (delay !== undefined) return make(delay, 'retry-info', resetStampMs);
  }
  for (const detail of body.details) {
    const delay = durationValue(detail.metadata['quotaResetDelay']);
    if (delay !== undefined) return make(delay, 'quota-reset-delay', resetStampMs);
  }
  if (resetStampMs !== undefined) return make(resetStampMs - nowMs, 'quota-reset-timestamp', resetStampMs);
  const header = headerValue(headers, 'retry-after');
  if (header !== undefined) {
    const delay = parseRetryAfterHeader(header, nowMs);
    if (delay !== undefined) return make(delay, 'retry-after-header');
  }
  if (body.retryAfterSeconds !== undefined && body.retryAfterSeconds >= 0) {
    return make(Math.ceil(body.retryAfterSeconds * 1_000), 'error-retry-after');
  }
  const text = body.message ?? bodyText;
  for (const { pattern, toMs } of textPatterns) {
    const match = pattern.exec(text);
    if (match === null) continue;
    const delay = toMs(match);
    if (delay !== undefined && Number.isFinite(delay)) return make(delay, 'text');
  }
  return undefined;
}
