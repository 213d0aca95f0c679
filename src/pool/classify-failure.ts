/**
 * Turns one failed upstream attempt into a decision the rotation loop acts on. Pure: the same failure, settings
 * and time always give the same verdict, which the table test pins down.
 */
import type { ErrorCode } from '../errors/catalogue.ts';
import type { UpstreamFailure } from './attempt-types.ts';
import { parseRetryHint, type RetryHint } from './parse-retry-hint.ts';
import type { PoolSettings } from './settings.ts';
import { readUpstreamErrorBody, type UpstreamErrorBody } from './upstream-error-body.ts';

export type RateLimitReason =
  | 'QUOTA_EXHAUSTED'
  /** Credits were asked to pay (`enabledCreditTypes`) but the Google One AI balance is too low (issue 16). */
  | 'INSUFFICIENT_CREDITS'
  | 'RATE_LIMIT_EXCEEDED'
  | 'MODEL_CAPACITY_EXHAUSTED'
  | 'RATE_LIMIT_UNKNOWN';

export type FailureVerdict =
  /** 429 with a reset hint ≤ shortRetryThresholdMs: wait it out and retry the same account. */
  | {
      readonly action: 'wait-same';
      readonly waitMs: number;
      readonly reason: RateLimitReason;
      readonly message: string;
    }
  /** 429 otherwise: cool this account down for this model and rotate. */
  | {
      readonly action: 'cool-model';
      readonly reason: RateLimitReason;
      readonly hint?: RetryHint;
      readonly message: string;
    }
  /** 401: refresh once and retry the same account; if it happens again, cool the account down. */
  | { readonly action: 'refresh-retry'; readonly message: string }
  /** 403 asking the owner to verify: a timed block carrying the URL. */
  | { readonly action: 'validation-block'; readonly url?: string; readonly message: string }
  /** Other 403: the account is marked forbidden (visible, reversible from the store). */
  | { readonly action: 'forbidden'; readonly message: string }
  /** 5xx, 529, an error inside a 200, network trouble or a timeout: rotate, short account cooldown for HTTP. */
  | {
      readonly action: 'rotate';
      readonly code: ErrorCode;
      readonly coolAccount: boolean;
      readonly status?: number;
      readonly message: string;
    }
  /** The client's own error (400, 404, other 4xx): no rotation, no cooldown. */
  | { readonly action: 'client-error'; readonly code: ErrorCode; readonly status: number; readonly message: string };

const rateLimitWords = /per minute|rate limit|too many requests/i;
const explicitQuotaWords = /quota_exhausted|quotaresetdelay|quota reset|quota limit|per day|daily quota/i;
const genericExhausted = /resource has been exhausted|resource_exhausted/i;
const outdatedClientWords = /version of Antigravity is no longer supported|please update to receive the latest/i;
const validationWords = /VALIDATION_REQUIRED|verify your account|validation_url/i;

/** Reason of a 429: `error.details[].reason` first, then the reference's text rules (§6.6). */
export function rateLimitReason(body: UpstreamErrorBody, text: string): RateLimitReason {
  for (const detail of body.details) {
    if (detail.reason === 'INSUFFICIENT_G1_CREDITS_BALANCE') return 'INSUFFICIENT_CREDITS';
    if (detail.reason === 'QUOTA_EXHAUSTED') return 'QUOTA_EXHAUSTED';
    if (detail.reason === 'RATE_LIMIT_EXCEEDED') return 'RATE_LIMIT_EXCEEDED';
    if (detail.reason === 'MODEL_CAPACITY_EXHAUSTED') return 'MODEL_CAPACITY_EXHAUSTED';
  }
  if (/model_capacity|capacity exhausted/i.test(text)) return 'MODEL_CAPACITY_EXHAUSTED';
  if (rateLimitWords.test(text)) return 'RATE_LIMIT_EXCEEDED';
  if (genericExhausted.test(text) && !explicitQuotaWords.test(text)) return 'RATE_LIMIT_EXCEEDED';
  if (/exhausted|quota/i.test(text)) return 'QUOTA_EXHAUSTED';
  return 'RATE_LIMIT_UNKNOWN';
}

/** The verification URL of a VALIDATION_REQUIRED answer (upstream §6.10). */
export function extractValidationUrl(body: UpstreamErrorBody, text: string): string | undefined {
  for (const detail of body.details) {
    for (const key of ['validation_url', 'appeal_url']) {
      const value = detail.metadata[key];
      if (typeof value === 'string' && value !== '') return value;
    }
  }
  const match = /https:\/\/[^\s"'<>\\]+(?:\\u0026[^\s"'<>\\]+)*/.exec(text);
  return match === null ? undefined : match[0].replaceAll('\\u0026', '&');
}

/** A short, secret-free description of an upstream answer for error messages. */
function describe(body: UpstreamErrorBody, text: string): string {
  const message = body.message ?? text;
  return message.length > 500 ? message.slice(0, 497) + '...' : message;
}

/**
 * Whether a failure may be the request's fault rather than the account's, and so count towards a poisoned request:
 * a rejection of the request (400 and other client errors), or a 429 that names neither a quota nor a time to come
 * back. A 429 with a quota or capacity reason, or with any reset hint, is a fact about the account (or the model's
 * capacity): it never counts, so accounts that are really exhausted keep their cooldowns and the client gets
 * AGW_ALL_ACCOUNTS_LIMITED with Retry-After instead of being told its request is poisoned.
 */
export function mayBePoison(verdict: FailureVerdict): boolean {
  if (verdict.action === 'client-error') return verdict.code !== 'AGW_UPSTREAM_CLIENT_OUTDATED';
  if (verdict.action === 'rotate') return verdict.code === 'AGW_UPSTREAM_PROMPT_FILTERED';
  if (verdict.action !== 'cool-model' || verdict.hint !== undefined) return false;
  return verdict.reason === 'RATE_LIMIT_EXCEEDED' || verdict.reason === 'RATE_LIMIT_UNKNOWN';
}

/**
 * Whether a 403 was caused by the `x-goog-user-project` header rather than by the account (issue 16): Google's
 * SERVICE_DISABLED answer, or a PERMISSION_DENIED that names the project the header carried. The relay retries
 * such a call once on the same account without the header; only a 403 that survives that retry is the account's.
 */
export function isUserProjectDenial(bodyText: string, projectId: string | undefined): boolean {
  if (projectId === undefined || projectId.trim() === '') return false;
  const body = readUpstreamErrorBody(bodyText);
  if (body.details.some((detail) => detail.reason === 'SERVICE_DISABLED')) return true;
  const denied =
    body.status === 'PERMISSION_DENIED' || body.details.some((detail) => detail.reason === 'IAM_PERMISSION_DENIED');
  return denied && (body.message ?? bodyText).includes(projectId.trim());
}

/**
 * Google's prompt filter (issue 16): some system-prompt texts are answered 429 RESOURCE_EXHAUSTED "Resource has
 * been exhausted (e.g. check quota)." or 503 UNAVAILABLE "The service is currently unavailable." with no details
 * at all — no quota reason, no reset time, no Retry-After. Such an answer says nothing about the account, so it
 * rotates without cooling anything down (and counts towards a poisoned request, which fails it alone).
 */
export function isReasonlessRefusal(
  status: number,
  body: UpstreamErrorBody,
  bodyText: string,
  headers: Readonly<Record<string, string>>,
): boolean {
  if (status !== 429 && status !== 503) return false;
  if (body.details.length > 0 || body.retryAfterSeconds !== undefined || headers['retry-after'] !== undefined)
    return false;
  const expected = status === 429 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE';
  if (body.status !== expected || body.message === undefined) return false;
  return !explicitQuotaWords.test(bodyText) && !rateLimitWords.test(bodyText) && !/capacity/i.test(bodyText);
}

/** Classifies one failed attempt. `nowMs` is only used to turn reset timestamps into delays. */
export function classifyFailure(failure: UpstreamFailure, settings: PoolSettings, nowMs: number): FailureVerdict {
  if (failure.kind === 'proxy') {
    // The account's route is down, not Google: this account cools down (rotate-loop), others serve the request.
    return { action: 'rotate', code: 'AGW_ACCOUNT_PROXY_FAILED', coolAccount: true, message: failure.message };
  }
  if (failure.kind !== 'http') {
    const code = failure.kind === 'timeout' ? 'AGW_UPSTREAM_TIMEOUT' : 'AGW_UPSTREAM_UNREACHABLE';
    return { action: 'rotate', code, coolAccount: false, message: failure.message };
  }
  const { status, bodyText, headers } = failure;
  const body = readUpstreamErrorBody(bodyText);
  const message = describe(body, bodyText);
  if (status >= 200 && status < 300) {
    // Google refuses an outdated client version with a 200 whose body is text (issue 16). Every account would get
    // the same answer, so it neither rotates nor cools an account down: the operator must raise the version.
    if (outdatedClientWords.test(bodyText)) {
      return {
        action: 'client-error',
        code: 'AGW_UPSTREAM_CLIENT_OUTDATED',
        status: 502,
        message: `Google refused the client version agw reports (upstream.client_version): ${message}`,
      };
    }
    // The server only reports a 2xx as a failure when its body is an error (peers §3 item 4).
    return { action: 'rotate', code: 'AGW_UPSTREAM_SERVER_ERROR', coolAccount: true, status, message };
  }
  if (isReasonlessRefusal(status, body, bodyText, headers)) {
    // A bare 503 is also what a backend outage looks like: it cools no account either way, but ends as a server
    // error (with the hint) rather than claiming a prompt filter it cannot tell apart.
    return {
      action: 'rotate',
      code: status === 429 ? 'AGW_UPSTREAM_PROMPT_FILTERED' : 'AGW_UPSTREAM_SERVER_ERROR',
      coolAccount: false,
      status,
      message:
        status === 429
          ? `${message} (no quota reason: Google's prompt filter; see agw.prompt_rewrite in docs/upstream.md)`
          : `${message} (no reason given: an outage, or Google's prompt filter; see agw.prompt_rewrite in docs/upstream.md)`,
    };
  }
  if (status === 429) {
    const reason = rateLimitReason(body, bodyText);
    const hint = parseRetryHint(body, bodyText, headers, nowMs);
    if (hint !== undefined && hint.delayMs <= settings.shortRetryThresholdMs) {
      return { action: 'wait-same', waitMs: hint.delayMs, reason, message };
    }
    return hint === undefined
      ? { action: 'cool-model', reason, message }
      : { action: 'cool-model', reason, hint, message };
  }
  if (status === 401) return { action: 'refresh-retry', message };
  if (status === 403) {
    if (validationWords.test(bodyText)) {
      const url = extractValidationUrl(body, bodyText);
      return url === undefined ? { action: 'validation-block', message } : { action: 'validation-block', url, message };
    }
    return { action: 'forbidden', message };
  }
  if (status >= 500 || status === 529) {
    return { action: 'rotate', code: 'AGW_UPSTREAM_SERVER_ERROR', coolAccount: true, status, message };
  }
  if (status === 404) return { action: 'client-error', code: 'AGW_UPSTREAM_NOT_FOUND', status, message };
  return { action: 'client-error', code: 'AGW_UPSTREAM_BAD_REQUEST', status, message };
}
