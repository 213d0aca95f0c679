/**
 * The user keys a running gateway knows, kept in memory so the request path never waits on SQLite: a map from
 * key hash to record, reloaded only when the store's change counter moves (a change made here reloads at once; a
 * change made by another process, such as `agw keys create`, is read on the next unknown key or within the refresh
 * period). With no user keys at all, a request costs one `size` check.
 *
 * It also holds the per-key limit bookkeeping (limits.ts) and the last-used times, written back in batches.
 * Storage, clock and usage history are injected.
 */
import { GatewayError } from '../errors/catalogue.ts';
import { type AddressMatcher, addressMatcher } from './address-range.ts';
import { hashUserKey } from './key-secret.ts';
import { createDailyTokens, createMinuteWindows, secondsUntilNextUtcDay } from './limits.ts';
import { type ModelMatcher, modelMatcher } from './model-pattern.ts';
import { parseKeySpec, refusalOf, type UserKeyInput, type UserKeyRecord, type UserKeySpec } from './user-key.ts';

/** What the registry needs from storage (telemetry/user-key-store.ts in the gateway). */
export interface KeySource {
  create(spec: UserKeySpec, now: number): { record: UserKeyRecord; key: string };
  list(): UserKeyRecord[];
  revoke(idOrName: string, now: number): UserKeyRecord;
  touch(lastUsed: ReadonlyMap<string, number>): void;
  generation(): number;
}

/** A user key that authenticated, with its rules compiled. */
export interface KnownKey {
  record: UserKeyRecord;
  models: ModelMatcher | undefined;
}

export type KeyCheck =
  /** Not a user key: the caller goes on with its own rules. */
  | { kind: 'unknown' }
  | { kind: 'accepted'; key: KnownKey }
  /** A user key that may not be used now; `badCredential` when it is revoked or expired (counts as a failure). */
  | { kind: 'refused'; error: GatewayError; badCredential: boolean };

export interface KeyRegistry {
  /** How many keys are loaded (revoked ones included). */
  readonly size: number;
  /**
   * Looks a presented key up. `reloadOnMiss` reads the store's change counter when the key is not known, so a key
   * created a moment ago by another process works at once.
   */
  authenticate(presented: string, address: string, options: { reloadOnMiss: boolean }): KeyCheck;
  /** Applies the key's requests-per-minute and tokens-per-day limits to one more request (and counts it). */
  admit(key: KnownKey): GatewayError | undefined;
  /** Refuses a model the key may not use; `model` undefined means the request named none. */
  modelRefusal(key: KnownKey, model: string | undefined): GatewayError | undefined;
  /** Counts a finished request's tokens against the key's day. */
  recordUsage(keyId: string, tokens: number, time: number): void;
  create(input: UserKeyInput): { record: UserKeyRecord; key: string };
  revoke(idOrName: string): UserKeyRecord;
  /** Every key (last-used times written first), newest first. */
  list(): UserKeyRecord[];
  /** Tokens the key used today (UTC). */
  tokensToday(keyId: string): number;
  /** Reloads when the store changed; true when it did. Also writes pending last-used times. */
  refresh(): boolean;
  /** Writes pending last-used times. */
  flush(): void;
}

interface Compiled extends KnownKey {
  addresses: AddressMatcher | undefined;
}

export function createKeyRegistry(options: {
  source: KeySource;
  now: () => number;
  /** Every key's tokens since `dayStart` (the request log's `usage` grouped by key). */
  usedToday: (dayStart: number) => ReadonlyMap<string, number>;
}): KeyRegistry {
  const { source, now } = options;
  let byHash = new Map<string, Compiled>();
  let generation = Number.NaN;
  const minuteWindows = createMinuteWindows(now);
  const dailyTokens = createDailyTokens({ now, usedToday: options.usedToday });
  const lastUsed = new Map<string, number>();

  const load = (): void => {
    generation = source.generation();
    const next = new Map<string, Compiled>();
    for (const record of source.list()) {
      next.set(record.hash, {
        record,
        models: record.models ? modelMatcher(record.models) : undefined,
        addresses: record.ips ? addressMatcher(record.ips) : undefined,
      });
    }
    byHash = next;
    minuteWindows.retain(new Set([...next.values()].map((compiled) => compiled.record.id)));
  };
  const reloadIfChanged = (): boolean => {
    if (source.generation() === generation) return false;
    load();
    return true;
  };
  // On the request path a store that cannot be read (locked, gone) must not fail the request: the cache answers.
  const reloadQuietly = (): boolean => {
    try {
      return reloadIfChanged();
    } catch {
      return false;
    }
  };
  const flush = (): void => {
    if (lastUsed.size === 0) return;
    const pending = new Map(lastUsed);
    lastUsed.clear();
    source.touch(pending);
  };
  load();

  return {
    get size() {
      return byHash.size;
    },
    authenticate(presented, address, { reloadOnMiss }) {
      if (byHash.size === 0 && !reloadOnMiss) return { kind: 'unknown' };
      const hash = hashUserKey(presented);
      let found = byHash.get(hash);
      if (!found && reloadOnMiss && reloadQuietly()) found = byHash.get(hash);
      if (!found) return { kind: 'unknown' };
      const time = now();
      const error = refusalOf(found.record, {
        now: time,
        addressAllowed: found.addresses === undefined || found.addresses.allows(address),
      });
      if (error) return { kind: 'refused', error, badCredential: error.status === 401 };
      lastUsed.set(found.record.id, time);
      return { kind: 'accepted', key: found };
    },
    admit({ record }) {
      if (record.tokensPerDay !== null) {
        const used = dailyTokens.used(record.id);
        if (used >= record.tokensPerDay) {
          return new GatewayError(
            'AGW_KEY_TOKEN_LIMIT',
            `the API key "${record.name}" used ${used} of its ${record.tokensPerDay} tokens for today (UTC); it works again at 00:00 UTC`,
            { retryAfterSeconds: secondsUntilNextUtcDay(now()) },
          );
        }
      }
      if (record.requestsPerMinute !== null) {
        const wait = minuteWindows.take(record.id, record.requestsPerMinute);
        if (wait > 0) {
          return new GatewayError(
            'AGW_KEY_RATE_LIMITED',
            `the API key "${record.name}" may send ${record.requestsPerMinute} requests per minute; wait ${wait} s`,
            { retryAfterSeconds: wait },
          );
        }
      }
      return undefined;
    },
    modelRefusal({ record, models }, model) {
      if (models === undefined) return undefined;
      if (model !== undefined && model !== '' && models.allows(model)) return undefined;
      const allowed = (record.models ?? []).join(', ');
      return new GatewayError(
        'AGW_KEY_MODEL_NOT_ALLOWED',
        model === undefined || model === ''
          ? `the API key "${record.name}" may only use the models ${allowed}; name one of them in the request`
          : `the API key "${record.name}" may not use the model ${JSON.stringify(model)}; it may use ${allowed}`,
      );
    },
    recordUsage(keyId, tokens, time) {
      dailyTokens.add(keyId, tokens, time);
    },
    create(input) {
      const time = now();
      const created = source.create(parseKeySpec(input, time), time);
      load();
      return created;
    },
    revoke(idOrName) {
      const revoked = source.revoke(idOrName, now());
      load();
      return revoked;
    },
    list() {
      flush();
      return source.list();
    },
    tokensToday: (keyId) => dailyTokens.used(keyId),
    refresh() {
      flush();
      return reloadIfChanged();
    },
    flush,
  };
}
