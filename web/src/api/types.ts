/** Shapes of the admin API (docs/api.md). Fields the console does not use are left out. */

/** The account vocabulary is the gateway's own (src/accounts/account-state.ts), so the two cannot drift apart. */
import type { AccountQuotaGroupView, AccountQuotaView, AccountView } from '../../../src/accounts/account-state.ts';

export type {
  AccountCooldownView as Cooldown,
  AccountQuotaBucketView as QuotaBucket,
  AccountQuotaGroupView as QuotaGroup,
  AccountQuotaView as AccountQuota,
  AccountState,
  AccountView,
} from '../../../src/accounts/account-state.ts';

export type ModelQuota = AccountQuotaView['models'][number];

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
  groups?: AccountQuotaGroupView[];
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

/** The answer of POST /api/setup/:client: what setup wrote (or would write, or restored) per file. */
export interface ClientSetupReport {
  client: string;
  title: string;
  dry_run: boolean;
  undo: boolean;
  files: Array<{
    path: string;
    action: 'create' | 'update' | 'unchanged' | 'restore' | 'remove';
    backup: string | null;
    changes: Array<{ key: string; value: string | null }>;
  }>;
  notes: string[];
}

/** A user key as GET /api/keys shows it (never the key itself). */
export interface KeyView {
  id: string;
  name: string;
  /** `sk-agw-…abcd` */
  hint: string;
  state: 'active' | 'expired' | 'revoked';
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
  models: string[] | null;
  requests_per_minute: number | null;
  tokens_per_day: number | null;
  ips: string[] | null;
  tokens_today?: number;
}

/** The body of POST /api/keys. */
export interface NewKey {
  name: string;
  expires?: string;
  models?: string;
  requests_per_minute?: number;
  tokens_per_day?: number;
  ips?: string;
}
