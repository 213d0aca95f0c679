/**
 * What a user key is (its stored record, never the key itself), how a new key's settings are read and checked
 * (the same rules for the CLI and the admin API), and the judgement of a presented key: revoked, expired or used
 * from an address it may not be used from. Pure: the time and the address are passed in.
 */
import { GatewayError } from '../errors/catalogue.ts';
import { addressRangeProblem } from './address-range.ts';
import { modelPatternProblem } from './model-pattern.ts';

export interface UserKeyRecord {
  /** `key_…`: names the key in lists, URLs and the request log. */
  id: string;
  name: string;
  /** SHA-256 of the key, hex. */
  hash: string;
  /** `sk-agw-…abcd`, for telling keys apart. */
  hint: string;
  /** ms since the epoch. */
  createdAt: number;
  lastUsedAt: number | null;
  /** The key stops working at this time (ms); null: never. */
  expiresAt: number | null;
  /** Exact model names or `*` globs; null: every model. */
  models: readonly string[] | null;
  requestsPerMinute: number | null;
  tokensPerDay: number | null;
  /** Exact addresses or CIDR ranges; null: any address. */
  ips: readonly string[] | null;
  /** When it was revoked (ms); null while it is in force. */
  revokedAt: number | null;
}

/** The settings of a key to create, as checked by {@link parseKeySpec}. */
export interface UserKeySpec {
  name: string;
  expiresAt: number | null;
  models: readonly string[] | null;
  requestsPerMinute: number | null;
  tokensPerDay: number | null;
  ips: readonly string[] | null;
}

/** The settings as a person writes them (CLI flags, admin API body). */
export interface UserKeyInput {
  name: string;
  /** `30d`, `12h`, `2w`, an ISO date or date-time, `never`; or ms since the epoch. */
  expires?: string | number | null | undefined;
  /** A list, or one comma-separated string. */
  models?: string | readonly string[] | null | undefined;
  requestsPerMinute?: number | string | null | undefined;
  tokensPerDay?: number | string | null | undefined;
  ips?: string | readonly string[] | null | undefined;
}

export type UserKeyState = 'active' | 'expired' | 'revoked';

export function keyState(record: UserKeyRecord, now: number): UserKeyState {
  if (record.revokedAt !== null) return 'revoked';
  if (record.expiresAt !== null && record.expiresAt <= now) return 'expired';
  return 'active';
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/;
const relativePattern = /^(\d{1,6})\s*(h|d|w)$/i;
const unitMs: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 604_800_000 };

function listOf(value: string | readonly string[] | null | undefined): string[] | null {
  if (value === null || value === undefined) return null;
  const items = (typeof value === 'string' ? value.split(',') : [...value]).map((item) => String(item).trim());
  const kept = items.filter((item) => item !== '');
  return kept.length === 0 ? null : [...new Set(kept)];
}

function positiveInteger(value: number | string | null | undefined, what: string, problems: string[]): number | null {
  if (value === null || value === undefined || value === '') return null;
  const number = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isSafeInteger(number) || number < 1) {
    problems.push(`${what} must be a whole number of at least 1 (got ${JSON.stringify(value)})`);
    return null;
  }
  return number;
}

function expiry(value: string | number | null | undefined, now: number, problems: string[]): number | null {
  if (value === null || value === undefined || value === '' || value === 'never') return null;
  let time: number;
  if (typeof value === 'number') time = value;
  else {
    const relative = relativePattern.exec(value.trim());
    time = relative
      ? now + Number(relative[1]) * (unitMs[(relative[2] ?? 'd').toLowerCase()] ?? 0)
      : /^\d{4}-\d{2}-\d{2}/.test(value.trim())
        ? Date.parse(value.trim())
        : Number.NaN;
  }
  if (!Number.isFinite(time)) {
    problems.push(
      `expires ${JSON.stringify(value)} is not understood: use a duration (12h, 30d, 2w), an ISO date (2027-01-31 or 2027-01-31T12:00:00Z) or never`,
    );
    return null;
  }
  if (time <= now) {
    problems.push(`expires ${JSON.stringify(value)} is in the past`);
    return null;
  }
  return time;
}

/**
 * Checks a key's settings and reports every problem at once.
 * @throws GatewayError `AGW_INVALID_REQUEST` listing the problems.
 */
export function parseKeySpec(input: UserKeyInput, now: number): UserKeySpec {
  const problems: string[] = [];
  const name = String(input.name ?? '').trim();
  if (!namePattern.test(name)) {
    problems.push(
      `name ${JSON.stringify(name)} must be 1 to 64 characters: letters, digits, space . _ @ -, starting with a letter or digit`,
    );
  }
  if (name.startsWith('key_')) problems.push('a name may not start with key_ (ids do)');
  const models = listOf(input.models);
  for (const pattern of models ?? []) {
    const problem = modelPatternProblem(pattern);
    if (problem) problems.push(problem);
  }
  const ips = listOf(input.ips);
  for (const entry of ips ?? []) {
    const problem = addressRangeProblem(entry);
    if (problem) problems.push(problem);
  }
  if ((models?.length ?? 0) > 100) problems.push('at most 100 model patterns');
  if ((ips?.length ?? 0) > 100) problems.push('at most 100 addresses or ranges');
  const spec: UserKeySpec = {
    name,
    expiresAt: expiry(input.expires, now, problems),
    models,
    requestsPerMinute: positiveInteger(input.requestsPerMinute, 'requests per minute', problems),
    tokensPerDay: positiveInteger(input.tokensPerDay, 'tokens per day', problems),
    ips,
  };
  if (problems.length > 0) throw new GatewayError('AGW_INVALID_REQUEST', problems.join('; '));
  return spec;
}

/** Why a known key may not be used now from that address, as the error to answer with; undefined when it may. */
export function refusalOf(
  record: UserKeyRecord,
  context: { now: number; addressAllowed: boolean },
): GatewayError | undefined {
  const state = keyState(record, context.now);
  if (state === 'revoked') {
    return new GatewayError(
      'AGW_KEY_REVOKED',
      `the API key "${record.name}" was revoked; ask the gateway's administrator for a new key`,
    );
  }
  if (state === 'expired') {
    return new GatewayError(
      'AGW_KEY_EXPIRED',
      `the API key "${record.name}" expired at ${new Date(record.expiresAt ?? 0).toISOString()}; ask the gateway's administrator to issue a new one`,
    );
  }
  if (!context.addressAllowed) {
    return new GatewayError(
      'AGW_KEY_IP_NOT_ALLOWED',
      `the API key "${record.name}" may not be used from this address; the administrator can add it to the key's allowed addresses`,
    );
  }
  return undefined;
}
