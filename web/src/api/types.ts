/** Shapes of the admin API (docs/api.md). Fields the console does not use are left out. */

export type AccountState =
  | 'active'
  | 'cooling'
  | 'disabled'
  | 'proxy-disabled'
  | 'validation-blocked'
  | 'forbidden'
  | 'project-unresolved';

export interface Cooldown {
  model: string;
  until: number;
  reason: string | null;
}

export interface ModelQuota {
  name: string;
  /** null: Google reported no remaining fraction for the model (unknown, not 0 %). */
  percentage: number | null;
  reset_time: string | null;
}

export interface QuotaBucket {
  bucket_id: string;
  window: string;
  remaining_fraction: number;
  reset_time: string | null;
}

export interface QuotaGroup {
  display_name: string;
  buckets: QuotaBucket[];
}

export interface AccountQuota {
  last_updated: number | null;
  models: ModelQuota[];
  groups?: QuotaGroup[];
}

export interface AccountView {
  id: string;
  email: string;
  name: string | null;
  state: AccountState;
  disabled: boolean;
  disabled_reason: string | null;
  disabled_at: number | null;
  proxy_disabled: boolean;
  proxy_disabled_reason: string | null;
  proxy_disabled_at: number | null;
  validation_blocked: boolean;
  validation_blocked_until: number | null;
  validation_url: string | null;
  error: string | null;
  tier: string | null;
  protected_models: string[];
  cooldowns: Cooldown[];
  quota: AccountQuota | null;
  refresh_token: string;
  created_at: number;
  last_used: number | null;
}

export type AddOutcome = 'added' | 'updated' | 're-enabled';

export interface AddAccountResult {
  account: AccountView;
  outcome: AddOutcome;
}

export type ImportResult = { email: string; outcome: AddOutcome } | { error: string };

export interface OAuthStart {
  url: string;
  state: string;
}

export interface OAuthStatus {
  status: 'pending' | 'done' | 'failed';
  account?: AccountView;
  error?: string;
}

export interface PoolCounts {
  usable: number;
  cooling: number;
  disabled: number;
  proxy_disabled: number;
  validation_blocked: number;
  other: number;
}

export interface PoolView {
  counts: PoolCounts;
  accounts: { id: string; state: string; until?: number; models?: string[] }[];
}

export interface QuotaAccount {
  id: string;
  email: string;
  tier: string | null;
  models: ModelQuota[];
  groups?: QuotaGroup[];
}

export interface Setting {
  key: string;
  value: unknown;
  source: string;
  secret: boolean;
}

export interface GatewayStatus {
  version: string;
  base_url: string;
  auth_mode: string;
  counts?: Partial<PoolCounts>;
  requests_per_minute: number;
  error_rate: number;
}

/** A request-log row; the console shows what is present and tolerates missing fields. */
export interface RequestLogRow {
  id: string | number;
  timestamp: number;
  method?: string;
  url?: string;
  status: number;
  duration?: number;
  model?: string | null;
  mapped_model?: string | null;
  account_email?: string | null;
  account_id?: string | null;
  protocol?: string | null;
  error?: string | null;
  input_tokens?: number | null;
  output_tokens?: number | null;
}

export interface LogPage {
  rows: RequestLogRow[];
  total: number;
}

export interface LogFilter {
  errorsOnly: boolean;
  protocol: string;
  model: string;
  limit: number;
  offset: number;
}
