/** The public face of a user key, for the admin API and `agw keys … --json`. */
import { keyState, type UserKeyRecord } from './user-key.ts';

/** A key as the admin API and `agw keys list --json` show it: everything but the key and its hash. */
export function keyView(record: UserKeyRecord, now: number) {
  return {
    id: record.id,
    name: record.name,
    hint: record.hint,
    state: keyState(record, now),
    created_at: record.createdAt,
    last_used_at: record.lastUsedAt,
    expires_at: record.expiresAt,
    revoked_at: record.revokedAt,
    models: record.models,
    requests_per_minute: record.requestsPerMinute,
    tokens_per_day: record.tokensPerDay,
    ips: record.ips,
  };
}
