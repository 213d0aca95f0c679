/**
 * Types shared by the fake Google upstream: accounts, scripted failures, recorded calls.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type Tier = 'FREE' | 'PRO' | 'ULTRA';

/** Which of the three v1internal-like bases a request arrived on (Google has three hosts; we use three paths). */
export type BaseName = 'primary' | 'alt1' | 'alt2';

export type Endpoint =
  | 'token'
  | 'auth'
  | 'userinfo'
  | 'loadCodeAssist'
  | 'onboardUser'
  | 'fetchAvailableModels'
  | 'retrieveUserQuotaSummary'
  | 'generateContent'
  | 'streamGenerateContent'
  | 'countTokens'
  | 'unknown';

export interface ModelQuota {
  /**
   * 0..1; 0 makes generate calls for that model answer 429 QUOTA_EXHAUSTED. `null` = the backend reports no
   * `remainingFraction` for the model (some free-tier models): unknown, and not exhausted.
   */
  remainingFraction: number | null;
  /** ISO-8601 UTC, e.g. `2026-03-05T07:20:42Z`. */
  resetTime: string;
}

export type BucketId = 'gemini-weekly' | 'gemini-5h' | '3p-weekly' | '3p-5h';

export interface QuotaBucket {
  bucketId: BucketId;
  window: 'weekly' | '5h';
  remainingFraction: number;
  resetTime: string;
}

export interface AccountSpec {
  email: string;
  name?: string;
  refreshToken: string;
  /** `undefined` → a deterministic project id; `null` → no project until `onboardUser` is called. */
  projectId?: string | null;
  tier?: Tier;
  quotas?: Record<string, ModelQuota>;
  buckets?: QuotaBucket[];
  /** How the backend answers a v1internal call carrying `x-goog-user-project` (default `accepted`). */
  userProjectHeader?: UserProjectHeaderMode;
  /** Google One AI credits (default none). */
  credits?: CreditBalance | null;
}

/**
 * `accepted`: the header is fine. `service-disabled`: 403 SERVICE_DISABLED for the header's project.
 * `permission-denied`: 403 PERMISSION_DENIED naming that project. Without the header the call succeeds.
 */
export type UserProjectHeaderMode = 'accepted' | 'service-disabled' | 'permission-denied';

/** An account's `GOOGLE_ONE_AI` credits, as loadCodeAssist reports them in `paidTier.availableCredits`. */
export interface CreditBalance {
  amount: number;
  /** Below this balance credits cannot pay (`minimumCreditAmountForUsage`); default 50. */
  minimumForUsage?: number;
  /** Credits one generate call paid by credits costs; default 1. */
  perRequest?: number;
}

/** Returned by `addAccount`: a live view of one fake account. */
export interface AccountHandle {
  readonly email: string;
  /** The refresh token currently valid for this account (changes when rotation is on). */
  refreshToken(): string | undefined;
  projectId(): string | null;
  /** Mints a valid access token directly, skipping the token endpoint (handy for upstream-only tests). */
  mintAccessToken(lifetimeSeconds?: number): string;
}

export type QuotaReason = 'QUOTA_EXHAUSTED' | 'RATE_LIMIT_EXCEEDED' | 'MODEL_CAPACITY_EXHAUSTED';

/** What a scripted rule does to the request it matches. */
export type ScriptAction =
  | {
      /** An HTTP error with a Google error body (OAuth-style body on the token endpoint). */
      kind: 'error';
      status: number;
      reason?: QuotaReason | 'VALIDATION_REQUIRED' | (string & {});
      message?: string;
      /** RetryInfo.retryDelay, e.g. `"12s"` or `"1.5s"`. */
      retryDelay?: string;
      /** ErrorInfo.metadata.quotaResetDelay, e.g. `"135h9m46s"`. */
      quotaResetDelay?: string;
      /** ErrorInfo.metadata.quotaResetTimeStamp (ISO-8601). */
      quotaResetTimeStamp?: string;
      /** Sent as the `Retry-After` header. */
      retryAfter?: string | number;
      /** For 403 VALIDATION_REQUIRED: the `validation_url` in ErrorInfo.metadata. */
      validationUrl?: string;
      /** Replaces the generated body entirely (object → JSON, string → sent as-is). */
      body?: unknown;
    }
  | { kind: 'error-text-200'; text: string }
  | { kind: 'invalid-grant' }
  | { kind: 'latency'; ms: number; jitterMs?: number }
  | { kind: 'slow-chunks'; delayMs: number }
  | { kind: 'reset-after-chunks'; chunks: number }
  | { kind: 'stall' }
  | { kind: 'reset-before-headers' }
  | { kind: 'split-writes'; pieceBytes: number; delayMs: number }
  | { kind: 'stream-chunks'; count: number }
  /** MODEL_CAPACITY_EXHAUSTED for the request's model: 429 RESOURCE_EXHAUSTED (default) or 503 "no capacity". */
  | { kind: 'no-capacity'; status?: 429 | 503 }
  | { kind: 'running-usage' };

export interface ScriptMatch {
  endpoint?: Endpoint | Endpoint[];
  base?: BaseName;
  email?: string;
  model?: string;
}

export interface ScriptRule {
  match?: ScriptMatch;
  /** How many matching requests the rule applies to: a number (default 1) or `'always'`. */
  times?: number | 'always';
  action: ScriptAction;
}

export interface ScriptHandle {
  readonly id: number;
  /** Applications left (`Infinity` for `'always'`). */
  remaining(): number;
  cancel(): void;
}

export interface RecordedCall {
  sequence: number;
  endpoint: Endpoint;
  base?: BaseName;
  httpMethod: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, parsed form fields for the token endpoint, or the raw text if unparseable. */
  body: unknown;
  email?: string;
  model?: string;
  /** Milliseconds since the epoch on the fake's clock. */
  time: number;
  /** Milliseconds since the epoch on the wall clock (the fake's clock may be advanced by tests). */
  wallTime: number;
  /** The HTTP status sent, or `'reset'` / `'stalled'` / `'client-closed'`; absent while in flight. */
  outcome?: number | 'reset' | 'stalled' | 'client-closed';
  /** The TCP connection the call came on: a per-socket counter (1, 2, …) of this fake instance. */
  connectionId: number;
  /** The client's port of that connection. */
  remotePort: number | undefined;
  /** The Antigravity version the request reported (User-Agent, else `x-client-version`); absent when none. */
  clientVersion?: string;
  /** What a generate call asked for, read from its envelope (absent on other calls or unparseable bodies). */
  generation?: GenerationFacts;
  /**
   * The backend rule that decided the answer: `user-project-header`, `client-version`, `retired-model`,
   * `version-gated-model`, `thinking-level`, `image-request-type`, `image-aspect-ratio`, `output-cap`,
   * `validated-tools-required`, `claude-tool-history-thinking`, `prompt-filter`, `quota-exhausted`,
   * `insufficient-credits`, or `credits` (a success paid with Google One AI credits).
   */
  rule?: string;
}

/** The envelope fields of a generate call that 2026 backend rules look at. */
export interface GenerationFacts {
  requestType?: string;
  requestId?: string;
  maxOutputTokens?: number;
  thinkingLevel?: string;
  thinkingBudget?: number;
  includeThoughts?: boolean;
  aspectRatio?: string;
  functionCallingMode?: string;
  enabledCreditTypes?: string[];
}

/** A TCP connection whose calls carried more than one account's bearer. */
export interface SharedConnection {
  connectionId: number;
  emails: string[];
}

export interface CallFilter {
  endpoint?: Endpoint | Endpoint[];
  base?: BaseName;
  email?: string;
  model?: string;
}

export interface CallCounts {
  total: number;
  byEndpoint: Partial<Record<Endpoint, number>>;
  byAccount: Record<string, Partial<Record<Endpoint, number>>>;
  byBase: Partial<Record<BaseName, number>>;
}

export type BaseFailure = 'reset' | 'refuse' | { status: number };
