/**
 * The reference system's on-disk formats (accounts-tokens-pool.md §2), typed field by field.
 * Every object is `loose`: fields agw does not know are kept and written back unchanged, so a data directory
 * shared with Antigravity Tools never loses anything.
 */
import { z } from 'zod';

const unixSeconds = z.number().int();

export const tokenDataSchema = z.looseObject({
  access_token: z.string(),
  refresh_token: z.string(),
  /** Seconds, as Google returned it (typically 3599). */
  expires_in: z.number().int(),
  /** Unix seconds: receipt time + expires_in. */
  expiry_timestamp: unixSeconds,
  token_type: z.string().default('Bearer'),
  email: z.string().nullish(),
  /** Cloud Code project; an empty string counts as absent. */
  project_id: z.string().nullish(),
  /** Which OAuth client produced the token (e.g. `antigravity_enterprise`). */
  oauth_client_key: z.string().nullish(),
  session_id: z.string().nullish(),
  is_gcp_tos: z.boolean().optional(),
  id_token: z.string().nullish(),
});
export type TokenData = z.infer<typeof tokenDataSchema>;

export const modelQuotaSchema = z.looseObject({
  name: z.string(),
  /** 0-100, remaining. 100 with `percentage_unknown` when Google reported no remainingFraction. */
  percentage: z.number(),
  /**
   * Google listed the model without `remainingFraction` (some free-tier models, issue 16): the remaining quota is
   * unknown, not 0 %. Quota protection and quota-aware selection ignore such a model; views show "unknown".
   */
  percentage_unknown: z.boolean().nullish(),
  /** RFC 3339 or "". */
  reset_time: z.string().default(''),
  display_name: z.string().nullish(),
  supports_images: z.boolean().nullish(),
  supports_thinking: z.boolean().nullish(),
  thinking_budget: z.number().nullish(),
  recommended: z.boolean().nullish(),
  max_tokens: z.number().nullish(),
  max_output_tokens: z.number().nullish(),
  supported_mime_types: z.record(z.string(), z.boolean()).nullish(),
});
export type ModelQuota = z.infer<typeof modelQuotaSchema>;

export const quotaBucketSchema = z.looseObject({
  bucket_id: z.string(),
  window: z.string().nullish(),
  remaining_fraction: z.number(),
  reset_time: z.string().nullish(),
  display_name: z.string().nullish(),
  description: z.string().nullish(),
});
export type QuotaBucket = z.infer<typeof quotaBucketSchema>;

export const quotaGroupSchema = z.looseObject({
  display_name: z.string(),
  description: z.string().nullish(),
  buckets: z.array(quotaBucketSchema),
});
export type QuotaGroup = z.infer<typeof quotaGroupSchema>;

export const quotaDataSchema = z.looseObject({
  models: z.array(modelQuotaSchema).default([]),
  last_updated: unixSeconds,
  is_forbidden: z.boolean().default(false),
  forbidden_reason: z.string().nullish(),
  subscription_tier: z.string().nullish(),
  model_forwarding_rules: z.record(z.string(), z.string()).default({}),
  quota_groups: z.array(quotaGroupSchema).nullish(),
  /** Google One AI credits loadCodeAssist reported (issue 16): `amount` and the least balance that may pay. */
  google_one_credits: z.looseObject({ amount: z.number(), minimum_for_usage: z.number() }).nullish(),
});
export type QuotaData = z.infer<typeof quotaDataSchema>;

export const liveLimitSchema = z.looseObject({
  model: z.string(),
  status: z.number().int(),
  reason: z.string(),
  until: unixSeconds,
  detected_at: unixSeconds,
  message: z.string().nullish(),
});
export type LiveLimit = z.infer<typeof liveLimitSchema>;

export const accountSchema = z.looseObject({
  id: z.string().min(1),
  email: z.string().min(1),
  name: z.string().nullish(),
  token: tokenDataSchema,
  quota: quotaDataSchema.nullish(),
  /** Hard disable (e.g. invalid_grant). Cleared only by an upsert that changes a token. */
  disabled: z.boolean().default(false),
  disabled_reason: z.string().nullish(),
  disabled_at: unixSeconds.nullish(),
  /** Excluded from the proxy only (manual switch, forbidden). */
  proxy_disabled: z.boolean().default(false),
  proxy_disabled_reason: z.string().nullish(),
  proxy_disabled_at: unixSeconds.nullish(),
  protected_models: z.array(z.string()).optional(),
  live_limited_models: z.record(z.string(), liveLimitSchema).optional(),
  validation_blocked: z.boolean().default(false),
  validation_blocked_until: unixSeconds.nullish(),
  validation_blocked_reason: z.string().nullish(),
  validation_url: z.string().nullish(),
  created_at: unixSeconds,
  last_used: unixSeconds,
  custom_label: z.string().nullish(),
  /**
   * agw only (issue 18): the account's own outbound proxy URL (http, https, socks5, socks5h; may hold credentials,
   * never shown). Every call of this account (refresh, onboarding, quota, generation) goes through it.
   */
  proxy_url: z.string().nullish(),
  /** agw only: why the account cannot be used until fixed (e.g. project unresolved). Ignored by the reference. */
  agw_error: z.string().nullish(),
});
export type Account = z.infer<typeof accountSchema>;

export const accountSummarySchema = z.looseObject({
  id: z.string(),
  email: z.string(),
  name: z.string().nullish(),
  disabled: z.boolean().default(false),
  proxy_disabled: z.boolean().default(false),
  protected_models: z.array(z.string()).optional(),
  created_at: unixSeconds,
  last_used: unixSeconds,
});
export type AccountSummary = z.infer<typeof accountSummarySchema>;

export const accountIndexSchema = z.looseObject({
  version: z.string().default('2.0'),
  accounts: z.array(accountSummarySchema).default([]),
  current_account_id: z.string().nullish(),
  current_target_ide: z.string().nullish(),
});
export type AccountIndex = z.infer<typeof accountIndexSchema>;
