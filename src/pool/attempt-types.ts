/** The contract between the rotation loop and the code that talks to Google for one attempt. */

/** What one attempt may use: the account's credentials, already fresh and with its project resolved. */
export interface Lease {
  readonly accountId: string;
  readonly email: string;
  readonly accessToken: string;
  readonly projectId: string;
  /** `ultra`, `pro`, `free` when the quota snapshot says so. */
  readonly tier?: string;
  /** 1-based number of this upstream attempt within the request. */
  readonly attempt: number;
  /** The account's own outbound proxy URL (issue 18); absent: the global/environment proxy, if any. */
  readonly proxy?: string;
}

/**
 * Why one attempt failed. `committed: true` means bytes already reached the client, so the loop must not retry
 * (the server turns the failure into an in-band error event).
 */
export type UpstreamFailure =
  | {
      readonly kind: 'http';
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly bodyText: string;
      readonly committed: boolean;
    }
  /** `proxy`: the account's outbound proxy could not be reached (AGW_ACCOUNT_PROXY_FAILED). */
  | { readonly kind: 'network' | 'timeout' | 'proxy'; readonly message: string; readonly committed: boolean };

export type AttemptResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: UpstreamFailure };

export interface ExecuteRequest {
  /** The upstream model name; cooldowns and quota are keyed by its normalised family. */
  readonly model: string;
  /** Conversation identity for sticky selection. */
  readonly sessionKey?: string;
  readonly signal?: AbortSignal;
  /**
   * Stable hash of the request body, for poisoned-request detection. A function is called only when needed (a
   * failure, or poison records exist), so large prompts are not hashed on the happy path.
   */
  readonly requestFingerprint?: string | (() => string);
  /**
   * Only this account, once: no rotation and no second attempt (the scheduled warm-up must start the quota window
   * of one particular account, never of another). A failure still has its usual effect on the account.
   */
  readonly accountId?: string;
}

export type AttemptFunction<T> = (lease: Lease) => Promise<AttemptResult<T>>;
