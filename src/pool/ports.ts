/**
 * What the pool needs from the outside world. The server wires these to the real clock, the Google OAuth and
 * loadCodeAssist clients and the account store; tests pass fakes. Nothing here does I/O by itself.
 */

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when the signal aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface RefreshRequest {
  readonly id: string;
  readonly email: string;
  readonly refreshToken: string;
  readonly oauthClientKey?: string;
  /** The account's own outbound proxy URL (issue 18). */
  readonly proxy?: string;
}

export interface RefreshResult {
  readonly accessToken: string;
  readonly expiresInSeconds: number;
  /** Present when Google rotated the refresh token. */
  readonly refreshToken?: string;
  readonly idToken?: string;
}

export interface TokenClient {
  /**
   * Exchanges a refresh token for an access token. Throws GatewayError `AGW_REFRESH_REVOKED` (message = Google's
   * error text, containing `invalid_grant`) or `AGW_REFRESH_FAILED` (network, 5xx, invalid_client, …).
   */
  refresh(request: RefreshRequest): Promise<RefreshResult>;
}

export interface ProjectResolver {
  /** The account's Cloud Code project; throws `AGW_PROJECT_UNRESOLVED` when it has none. */
  resolve(accessToken: string, proxy?: string): Promise<string>;
}

export interface TokenPatch {
  readonly accessToken: string;
  readonly expiresInSeconds: number;
  /** Unix seconds. */
  readonly expiryTimestamp: number;
  readonly refreshToken?: string;
  readonly idToken?: string;
  /**
   * The refresh token this result was obtained with. The store writes the patch only while the file still holds
   * it (compare-and-set), so a late refresh never overwrites credentials the user has just replaced.
   */
  readonly basedOnRefreshToken: string;
}

/** Durable side effects of pool decisions; the server maps each onto the account file (under the store lock). */
export interface PoolStorage {
  /**
   * Makes a rotated refresh token durable at once, without waiting for the store's lock (the server appends it
   * to its write-ahead journal): Google killed the old token when it answered, so this must land before the new
   * access token is used. The account file follows through persistToken.
   */
  recordRotation(id: string, patch: TokenPatch): Promise<void>;
  /** Writes a refreshed token into the account file (under the store lock); the pool does it in the background. */
  persistToken(id: string, patch: TokenPatch): Promise<void>;
  /**
   * Sets `disabled`, `disabled_at` (now) and `disabled_reason` — only while the file still holds
   * `basedOnRefreshToken`: when another process (a second gateway, the CLI, the reference app) has meanwhile
   * stored a newer token, the invalid_grant was about a token that is already replaced, and nothing is disabled.
   */
  disable(id: string, reason: string, basedOnRefreshToken?: string): Promise<void>;
  setValidationBlock(id: string, untilUnix: number, reason: string, url?: string): Promise<void>;
  /** Clears `validation_blocked*` and `validation_url` once the block has run out. */
  clearValidationBlock(id: string): Promise<void>;
  /** Sets `proxy_disabled` with a `Forbidden (403): …` reason and `quota.is_forbidden`. */
  markForbidden(id: string, reason: string): Promise<void>;
  setProjectId(id: string, projectId: string): Promise<void>;
  /** agw's `agw_error` field; null clears it. */
  setAccountError(id: string, message: string | null): Promise<void>;
  recordQuotaExhausted(id: string, model: string, resetTimeIso: string): Promise<void>;
}

/** Returns a number in [0, 1); injected so selection and jitter are deterministic in tests. */
export type RandomSource = () => number;

export type CooldownReason =
  | 'QUOTA_EXHAUSTED'
  | 'INSUFFICIENT_CREDITS'
  | 'RATE_LIMIT_EXCEEDED'
  | 'MODEL_CAPACITY_EXHAUSTED'
  | 'RATE_LIMIT_UNKNOWN'
  | 'SERVER_ERROR'
  | 'UNAUTHORIZED'
  | 'REFRESH_FAILED'
  /** The account's outbound proxy (or the global one) could not be reached. */
  | 'PROXY_FAILED'
  | 'PROJECT_UNRESOLVED'
  | 'VALIDATION_REQUIRED';

/** Diagnostics for the metrics layer; never carries secrets. */
export type PoolEvent =
  | { readonly type: 'refresh'; readonly accountId: string; readonly outcome: 'ok' | 'revoked' | 'failed' | 'stale' }
  | {
      readonly type: 'cooldown-start';
      readonly accountId: string;
      /** Normalised model key; absent for an account-wide cooldown. */
      readonly model?: string;
      readonly reason: CooldownReason;
      readonly untilMs: number;
    }
  | { readonly type: 'cooldown-end'; readonly accountId: string; readonly model?: string }
  | { readonly type: 'account-state'; readonly accountId: string; readonly state: string; readonly reason?: string }
  | {
      readonly type: 'request';
      readonly model: string;
      readonly attempts: number;
      /** `ok` or the GatewayError code the request ended with. */
      readonly outcome: string;
    }
  | { readonly type: 'poisoned'; readonly model: string; readonly accounts: number }
  | { readonly type: 'all-limited'; readonly model: string; readonly retryAfterSeconds: number };

export type PoolEventListener = (event: PoolEvent) => void;

/**
 * A cooldown as every gateway sharing the pool sees it: which account (and model), until when, and why.
 * `untilMs` is absolute (epoch ms), so a 3 h reset learned by one instance ends at the same moment everywhere.
 */
export interface SharedCooldown {
  readonly accountId: string;
  /** Normalised model key; absent for an account-wide block. */
  readonly model?: string;
  readonly untilMs: number;
  readonly reason: CooldownReason;
  readonly message?: string;
  readonly url?: string;
}

/** One change of the pool state that other gateways on the same pool must honour. */
export type SharedStateChange =
  | { readonly kind: 'cooldown'; readonly cooldown: SharedCooldown }
  /** A cooldown undone (poisoned request): cleared where it is still the one with this `untilMs`. */
  | { readonly kind: 'cooldown-cleared'; readonly accountId: string; readonly model?: string; readonly untilMs: number }
  | { readonly kind: 'poisoned'; readonly fingerprint: string; readonly untilMs: number };

/**
 * The pool state shared between gateways (cooldowns, poison verdicts). The pool keeps its own copy — the hot path
 * reads only memory — and hands every change it makes to `publish`, which must return at once (the shared copy is
 * written in the background). Changes made by other gateways arrive through `subscribe`. A single gateway uses
 * `localPoolState` (src/pool/shared-state.ts): nothing to share.
 */
export interface SharedPoolState {
  publish(change: SharedStateChange): void;
  /** Delivers other gateways' changes (and, at once, the state in force); returns the unsubscribe function. */
  subscribe(listener: (change: SharedStateChange) => void): () => void;
}

/** Credentials another gateway stored after refreshing. */
export interface StoredToken {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Epoch ms. */
  readonly expiresAtMs: number;
  /** The account is disabled now (another gateway met invalid_grant). */
  readonly disabled: boolean;
}

/**
 * Refresh single-flight across gateways: one lease per account, so one gateway refreshes and the others wait for
 * the token it stores. A single gateway uses `localRefreshLease` (always granted, nothing to wait for).
 */
export interface RefreshLease {
  /** True when this gateway may refresh `accountId` now (it holds the lease, or the lease cannot be checked). */
  acquire(accountId: string): Promise<boolean>;
  release(accountId: string): Promise<void>;
  /** The credentials stored for `accountId` now (undefined when there is no shared store or no such account). */
  stored(accountId: string): Promise<StoredToken | undefined>;
  /**
   * Waits, at most about one lease lifetime, for the next stored change of `accountId` (another gateway's
   * refresh landed, or it disabled the account), or returns at once when the stored access token already differs
   * from `staleAccessToken`. Resolves with the stored credentials then; undefined when none could be read.
   */
  awaitStored(accountId: string, staleAccessToken: string): Promise<StoredToken | undefined>;
}
