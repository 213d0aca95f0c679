/**
 * The account states and the AccountView of docs/api.md: the ONE vocabulary the pool, the CLI, the admin API and
 * the console use. Types only, with no imports, so the console (web/) imports this file as it is.
 */

/** Why an account does or does not serve requests right now. */
export type AccountState =
  /** The pool may pick it (quota-protected models excepted). */
  | 'active'
  /** Held back for a while after 429 / 5xx / 401: the whole account, or only the models in `cooldowns`. */
  | 'cooling'
  /** Refreshing its access token failed for a transient reason; retried after a backoff. */
  | 'refresh-failing'
  /** No Cloud Code project could be resolved (`agw_error`); retried after a backoff. */
  | 'project-unresolved'
  /** Google asked for a verification (403 VALIDATION_REQUIRED); held back until the block ends. */
  | 'validation-blocked'
  /** `disabled` in the file (e.g. invalid_grant): out until re-added with a new token. */
  | 'disabled'
  /** `proxy_disabled` in the file (manual switch, a proxied 403): out until proxy-enabled. */
  | 'proxy-disabled'
  /** `quota.is_forbidden` in the file: Google refuses the account. */
  | 'forbidden';

export interface AccountCooldownView {
  /** Normalised model key, e.g. `claude`. */
  model: string;
  /** Unix seconds. */
  until: number;
  reason: string;
}

export interface AccountQuotaBucketView {
  bucket_id: string;
  window?: string | null | undefined;
  remaining_fraction: number;
  reset_time?: string | null | undefined;
  display_name?: string | null | undefined;
  description?: string | null | undefined;
}

export interface AccountQuotaGroupView {
  display_name: string;
  description?: string | null | undefined;
  buckets: AccountQuotaBucketView[];
}

export interface AccountQuotaView {
  /** Unix seconds. */
  last_updated: number;
  tier: string | null;
  /** `percentage` null: Google reported no remaining fraction for the model (unknown, not 0 %). */
  models: Array<{ name: string; percentage: number | null; reset_time: string }>;
  groups: AccountQuotaGroupView[];
}

/** One account as the admin API, its event stream and `agw accounts list --json` show it; secrets masked. */
export interface AccountView {
  id: string;
  email: string;
  name: string | null;
  state: AccountState;
  disabled: boolean;
  disabled_reason: string | null;
  /** Unix seconds. */
  disabled_at: number | null;
  /** The manual switch as the pool reads it (the legacy reason `quota_protection` is not a switch). */
  proxy_disabled: boolean;
  proxy_disabled_reason: string | null;
  proxy_disabled_at: number | null;
  validation_blocked: boolean;
  validation_blocked_until: number | null;
  validation_url: string | null;
  /** Why a state that ends by itself, or `forbidden`, holds (null for a model-only cooldown and the switches). */
  error: string | null;
  tier: string | null;
  /** Model keys quota protection holds back (only while protection is enabled). */
  protected_models: string[];
  cooldowns: AccountCooldownView[];
  quota: AccountQuotaView | null;
  refresh_token: string;
  /** The account's own outbound proxy (issue 18), credentials masked; null: the global/environment proxy applies. */
  proxy_url: string | null;
  created_at: number;
  last_used: number;
}
