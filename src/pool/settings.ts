/**
 * Pool settings: one object, every number with its unit and the reason for its default. The pool reads the
 * current object on every decision, so `pool.updateSettings()` takes effect at once (hot reload).
 */

export type SelectionStrategy = 'sticky' | 'round-robin' | 'quota-aware';

export interface CircuitBreakerSettings {
  /** false → no cooldown is ever recorded; failed accounts are only rotated away from within a request. */
  readonly enabled: boolean;
  /** Seconds; QUOTA_EXHAUSTED without a reset hint waits the n-th step on the n-th consecutive failure. */
  readonly backoffSteps: readonly number[];
}

export interface QuotaProtectionSettings {
  readonly enabled: boolean;
  /** Percent 0-100; a monitored model group whose best remaining quota is below this is not used. */
  readonly thresholdPercentage: number;
  /** Normalised model keys (see model-key.ts) watched by the protection. */
  readonly monitoredModels: readonly string[];
}

export interface BackoffSettings {
  /** Milliseconds for the first failure; doubled per consecutive failure. */
  readonly baseMs: number;
  /** Milliseconds; the doubling stops here. */
  readonly capMs: number;
}

export interface PoolSettings {
  readonly strategy: SelectionStrategy;
  /** Seconds; 0 = answer AGW_ALL_ACCOUNTS_LIMITED at once when every account is cooling down. */
  readonly maxWaitSeconds: number;
  /** Upstream attempts per request; the loop also never makes more than pool size + 1. */
  readonly maxAttempts: number;
  /** Milliseconds; the whole request (attempts, waits, refreshes) must finish inside this budget. */
  readonly requestDeadlineMs: number;
  /** Seconds a session keeps its account after its last request. */
  readonly stickyTtlSeconds: number;
  /** Upper bound on remembered sessions (oldest evicted first), so the map cannot grow without bound. */
  readonly maxStickySessions: number;
  /** Seconds before expiry at which an access token is refreshed ahead of use. */
  readonly refreshMarginSeconds: number;
  /** Milliseconds; a 429 whose reset hint is at most this is waited out on the same account. */
  readonly shortRetryThresholdMs: number;
  readonly circuitBreaker: CircuitBreakerSettings;
  /** Different accounts that must reject the same request in a row before it counts as poisoned. */
  readonly poisonThreshold: number;
  /** Milliseconds a poison record (and a poisoned verdict) is remembered. */
  readonly poisonWindowMs: number;
  readonly quotaProtection: QuotaProtectionSettings;
  /** Failed token refreshes (not invalid_grant) cool the account down with this backoff. */
  readonly refreshFailureCooldown: BackoffSettings;
  /** Failed project-id resolution is retried after this backoff. */
  readonly projectRetryBackoff: BackoffSettings;
  /** Cooldown for 5xx / 529 / error-in-200 answers, per account. */
  readonly serverErrorCooldown: BackoffSettings;
  /** Cooldown of an account whose outbound proxy cannot be reached (issue 18); not under the circuit breaker. */
  readonly proxyFailureCooldown: BackoffSettings;
  /** 429 RATE_LIMIT_EXCEEDED / unknown 429 without a hint, per account and model. */
  readonly rateLimitCooldown: BackoffSettings;
  /** 429 MODEL_CAPACITY_EXHAUSTED without a hint, per account and model. */
  readonly capacityCooldown: BackoffSettings;
  /** Cooldown after a 401 that survived a forced refresh. */
  readonly unauthorizedCooldown: BackoffSettings;
  /** Seconds an account stays blocked after 403 VALIDATION_REQUIRED before it is tried again. */
  readonly validationBlockSeconds: number;
  /** Fraction 0-1; backoffs are multiplied by a random factor in [1 - jitter, 1 + jitter]. */
  readonly jitterRatio: number;
  /** Milliseconds; an explicit reset hint shorter than this still cools down this long. */
  readonly minimumCooldownMs: number;
  /** Percent used to rank an account that has no quota data for the requested model. */
  readonly unknownQuotaPercentage: number;
  /** How many of the best-ranked accounts the power-of-two-choices draw picks from. */
  readonly choiceWidth: number;
  /** Accounts one request may pass over because their refresh or project lookup failed. */
  readonly maxAccountSkipsPerRequest: number;
  /** Pause before trying an already-tried account again (only when no other account is left). */
  readonly sameAccountRetryPause: BackoffSettings;
}

export const defaultPoolSettings: PoolSettings = Object.freeze({
  // Sticky keeps a conversation on one account (prompt cache); new sessions get the quota-aware choice.
  strategy: 'sticky',
  // Answer at once: a fast 429 with Retry-After beats holding the client's connection (peers §7.4).
  maxWaitSeconds: 0,
  // Three attempts cover one rotation after a quota hit and one after a transient error.
  maxAttempts: 3,
  // 10 minutes: long thinking answers take minutes; past this the client has given up anyway.
  requestDeadlineMs: 600_000,
  // 1 hour: Google's prompt cache lives minutes to an hour; longer bindings only pin load.
  stickyTtlSeconds: 3_600,
  // 100,000 sessions: a few MB at most.
  maxStickySessions: 100_000,
  // 5 minutes: enough for a slow refresh to finish before the old token runs out.
  refreshMarginSeconds: 300,
  // 2 s: the reference's grace-retry bound; longer waits are better spent on another account.
  shortRetryThresholdMs: 2_000,
  circuitBreaker: Object.freeze({
    enabled: true,
    // Seconds: 1 min, 5 min, 30 min, 2 h — the reference's steps, honoured in full (no 300 s cap).
    backoffSteps: Object.freeze([60, 300, 1_800, 7_200]),
  }),
  // 3 accounts in a row: one bad account is chance, three is the request.
  poisonThreshold: 3,
  // 10 minutes: long enough to see a client's retries, short enough to forget a fixed prompt.
  poisonWindowMs: 600_000,
  quotaProtection: Object.freeze({
    enabled: false,
    // Percent, the reference default.
    thresholdPercentage: 10,
    monitoredModels: Object.freeze(['claude', 'gemini-3-pro-high', 'gemini-3-flash', 'gemini-3.1-flash-image']),
  }),
  // 30 s doubling to 30 min: Google's token endpoint recovers in seconds; a broken client config does not.
  refreshFailureCooldown: Object.freeze({ baseMs: 30_000, capMs: 1_800_000 }),
  // 60 s doubling to 1 h: loadCodeAssist failures are usually account setup, rarely transient.
  projectRetryBackoff: Object.freeze({ baseMs: 60_000, capMs: 3_600_000 }),
  // 5 s doubling to 1 min: the reference uses 8 s; a 5xx is usually brief.
  serverErrorCooldown: Object.freeze({ baseMs: 5_000, capMs: 60_000 }),
  // 30 s doubling to 10 min: a proxy that is restarted is back within seconds, a dead one is not worth probing more.
  proxyFailureCooldown: Object.freeze({ baseMs: 30_000, capMs: 600_000 }),
  // 5 s doubling to 5 min: per-minute limits clear within a minute.
  rateLimitCooldown: Object.freeze({ baseMs: 5_000, capMs: 300_000 }),
  // 5 s doubling to 1 min: capacity is Google-wide and short-lived.
  capacityCooldown: Object.freeze({ baseMs: 5_000, capMs: 60_000 }),
  // 60 s doubling to 30 min: a token Google rejects right after a refresh is an account problem.
  unauthorizedCooldown: Object.freeze({ baseMs: 60_000, capMs: 1_800_000 }),
  // 30 min: the owner has to act in a browser; retrying sooner only burns requests.
  validationBlockSeconds: 1_800,
  // ±20 %: spreads retries of accounts that failed together.
  jitterRatio: 0.2,
  // 2 s: the reference floor for explicit hints; avoids hammering on "retry in 0s".
  minimumCooldownMs: 2_000,
  // 50 %: an account without quota data is neither preferred nor starved (weakness 22).
  unknownQuotaPercentage: 50,
  // 5: the reference's P2C window.
  choiceWidth: 5,
  // 10: bounds the refresh calls one request can trigger; later requests pass over the next ones.
  maxAccountSkipsPerRequest: 10,
  // 1 s doubling to 8 s: a transient network error on a one-account pool deserves one quick retry.
  sameAccountRetryPause: Object.freeze({ baseMs: 1_000, capMs: 8_000 }),
}) as PoolSettings;
