/**
 * The account store on Redis, for several gateways serving one pool: the same AccountStore contract as the data
 * directory (src/store/account-store.ts), with Redis as the source of truth.
 *
 * Layout (prefix `agw:`):
 *   `agw:account:<id>`  hash: `json` (the whole account, unknown fields included, so fields another agw version or
 *                       tool added round-trip), `email`, `version` (bumped by every write: the compare-and-set key)
 *   `agw:accounts`      sorted set of ids, scored by position (the index; its order is the file index's order)
 *   `agw:emails`        hash email → id (upsert by email, one account per email)
 *   `agw:changes`       pub/sub channel: `{ids: [...] | "all", origin}` after every write
 *
 * Every write is a read-modify-write whose final step is a Lua script that applies it only if `version` is still
 * the one read (compare-and-set) and publishes the change in the same step; on a conflict the mutation is re-run on
 * the newer account. While Redis is down a server keeps answering reads from the last list it read, and its writes
 * wait in the connection's queue until Redis is back (counted as pending writes in /healthz and the metrics).
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../errors/catalogue.ts';
import { type Logger, silentLogger } from '../../telemetry/log-port.ts';
import {
  type AccountMutation,
  disableMutation,
  persistTokenMutation,
  proxyDisableMutation,
  proxyEnableMutation,
} from '../account-mutations.ts';
import { type Account, accountSchema } from '../account-schema.ts';
import {
  type AccountChange,
  type AccountStore,
  mergeUpsert,
  newAccount,
  notFound,
  type StoreProblem,
} from '../account-store.ts';
import { isSafeAccountId } from '../data-dir.ts';
import { type RedisConnection, redisError } from './connection.ts';

export interface RedisAccountStoreOptions {
  /** The local data directory: the token journal lives there (it covers a rotation while Redis is down). */
  dataDir: string;
  logger?: Logger;
  now?: () => number;
  randomId?: () => string;
}

/** Compare-and-set of one account; publishes the change. Returns 1 written, 0 version moved, -1 email taken. */
const writeScript = `
local current = redis.call('HGET', KEYS[1], 'version')
if (current or '0') ~= ARGV[2] then return 0 end
local owner = redis.call('HGET', KEYS[3], ARGV[4])
if owner and owner ~= ARGV[1] then return -1 end
local previousEmail = redis.call('HGET', KEYS[1], 'email')
if previousEmail and previousEmail ~= ARGV[4] and redis.call('HGET', KEYS[3], previousEmail) == ARGV[1] then
  redis.call('HDEL', KEYS[3], previousEmail)
end
redis.call('HSET', KEYS[1], 'json', ARGV[3], 'version', tostring(tonumber(ARGV[2]) + 1), 'email', ARGV[4])
redis.call('HSET', KEYS[3], ARGV[4], ARGV[1])
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  local position = 0
  if #last == 2 then position = tonumber(last[2]) + 1 end
  redis.call('ZADD', KEYS[2], position, ARGV[1])
end
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1
`;

/** Removes one account; returns 0 when there was nothing to remove. */
const removeScript = `
local email = redis.call('HGET', KEYS[1], 'email')
local removed = redis.call('DEL', KEYS[1]) + redis.call('ZREM', KEYS[2], ARGV[1])
if email and redis.call('HGET', KEYS[3], email) == ARGV[1] then redis.call('HDEL', KEYS[3], email) end
if removed > 0 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return removed
`;

/** Conflicting writers re-run their mutation on the newer account; this many rounds is far beyond real contention. */
const maxWriteRounds = 32;

export interface RedisAccountStore extends AccountStore {
  /** The stored account, read from Redis now (undefined when absent); used by the refresh lease. */
  readStored(id: string): Promise<Account | undefined>;
  /** Resolves with the next change notification that names `id` (or all), or undefined after `timeoutMs`. */
  nextChange(id: string, timeoutMs: number): Promise<void>;
}

export function redisKeys(prefix: string) {
  return {
    account: (id: string) => `${prefix}account:${id}`,
    index: `${prefix}accounts`,
    emails: `${prefix}emails`,
    meta: `${prefix}meta`,
    changes: `${prefix}changes`,
  };
}

export function openRedisAccountStore(
  connection: RedisConnection,
  options: RedisAccountStoreOptions,
): RedisAccountStore {
  const redis = connection.commands;
  const keys = redisKeys(connection.prefix);
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const randomId = options.randomId ?? randomUUID;
  const nowSeconds = (): number => Math.floor(now() / 1000);
  /** The last list read: what reads answer while Redis is down. */
  let lastList: { accounts: Account[]; problems: StoreProblem[] } | undefined;
  const changeWaiters = new Set<{ id: string; wake: () => void }>();

  const message = (ids: string[] | 'all'): string => JSON.stringify({ ids, origin: connection.origin });

  const parseStored = (id: string, json: string | null): Account | undefined => {
    if (json === null) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (error) {
      throw corruptEntry(id, (error as Error).message);
    }
    const checked = accountSchema.safeParse(parsed);
    if (!checked.success) throw corruptEntry(id, checked.error.issues.map((issue) => issue.path.join('.')).join(', '));
    return checked.data;
  };

  async function readVersioned(id: string): Promise<{ account: Account; version: string } | undefined> {
    const [json, version] = await redis.hmget(keys.account(id), 'json', 'version');
    const account = parseStored(id, json ?? null);
    return account === undefined ? undefined : { account, version: version ?? '0' };
  }

  /** The compare-and-set write; 'conflict' when another writer came first. */
  async function write(account: Account, expectedVersion: string): Promise<'written' | 'conflict' | 'email-taken'> {
    const result = (await redis.eval(
      writeScript,
      3,
      keys.account(account.id),
      keys.index,
      keys.emails,
      account.id,
      expectedVersion,
      JSON.stringify(account),
      account.email,
      keys.changes,
      message([account.id]),
    )) as number;
    return result === 1 ? 'written' : result === 0 ? 'conflict' : 'email-taken';
  }

  /** Writes of one account from this process run one after another: compare-and-set only meets other processes. */
  const queues = new Map<string, Promise<unknown>>();
  function inOrder<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = queues.get(id) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    queues.set(id, settled);
    void settled.then(() => {
      if (queues.get(id) === settled) queues.delete(id);
    });
    return next;
  }

  function update(id: string, mutate: AccountMutation): Promise<Account> {
    return inOrder(id, () => updateNow(id, mutate));
  }

  async function updateNow(id: string, mutate: AccountMutation): Promise<Account> {
    for (let round = 0; round < maxWriteRounds; round += 1) {
      if (round > 0) await backOff(round);
      const stored = await readVersioned(id);
      if (stored === undefined) throw notFound(id);
      const draft = structuredClone(stored.account);
      const result = mutate(draft) ?? draft;
      const checked = accountSchema.safeParse(result);
      if (!checked.success) {
        const paths = checked.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
        throw new GatewayError('AGW_INTERNAL', `an account change produced an invalid account (fields: ${paths})`);
      }
      const next = checked.data;
      if (next.id !== id) throw new GatewayError('AGW_INTERNAL', 'an account change must not alter the account id');
      if (JSON.stringify(next) === JSON.stringify(stored.account)) return next;
      const outcome = await write(next, stored.version);
      if (outcome === 'written') return next;
      if (outcome === 'email-taken') {
        throw new GatewayError('AGW_INVALID_REQUEST', `another account already has the email ${next.email}`);
      }
    }
    throw new GatewayError('AGW_STORE_IO', `account ${id} kept changing under ${maxWriteRounds} attempts to update it`);
  }

  async function findIdByEmail(email: string): Promise<string | undefined> {
    return (await redis.hget(keys.emails, email)) ?? undefined;
  }

  async function listFromRedis(): Promise<{ accounts: Account[]; problems: StoreProblem[] }> {
    const ids = await redis.zrange(keys.index, 0, -1);
    const problems: StoreProblem[] = [];
    const accounts: Account[] = [];
    if (ids.length === 0) return { accounts, problems };
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hget(keys.account(id), 'json');
    const results = (await pipeline.exec()) ?? [];
    ids.forEach((id, position) => {
      const [error, json] = results[position] ?? [null, null];
      if (error) {
        problems.push({ file: keys.account(id), message: error.message });
        return;
      }
      try {
        const account = parseStored(id, (json as string | null) ?? null);
        if (account === undefined) {
          problems.push({ file: keys.account(id), message: 'listed in the index but the account is missing' });
        } else accounts.push(account);
      } catch (thrown) {
        problems.push({ file: keys.account(id), message: (thrown as Error).message });
      }
    });
    return { accounts, problems };
  }

  const wakeWaiters = (ids: string[] | 'all'): void => {
    for (const waiter of changeWaiters) if (ids === 'all' || ids.includes(waiter.id)) waiter.wake();
  };
  const stopWaking = connection.subscribe(keys.changes, (text) => {
    const ids = parseChange(text);
    if (ids !== undefined) wakeWaiters(ids);
  });
  void stopWaking;

  const tracked = <T>(work: () => Promise<T>): Promise<T> => connection.track(work());

  const store: RedisAccountStore = {
    dataDir: options.dataDir,

    async list() {
      // The hot path never reads the store, but the admin API and reloads do: while Redis is down they get the
      // last list read instead of waiting.
      if (!connection.connected && lastList !== undefined) return structuredClone(lastList);
      const listed = await listFromRedis();
      lastList = listed;
      return structuredClone(listed);
    },

    async get(idOrEmail) {
      if (!connection.connected && lastList !== undefined) {
        const cached = lastList.accounts.find((account) => account.id === idOrEmail || account.email === idOrEmail);
        if (cached !== undefined) return structuredClone(cached);
      }
      if (isSafeAccountId(idOrEmail)) {
        const stored = await readVersioned(idOrEmail);
        if (stored !== undefined) return stored.account;
      }
      const id = await findIdByEmail(idOrEmail);
      if (id !== undefined) {
        const stored = await readVersioned(id);
        if (stored !== undefined) return stored.account;
      }
      // Another case of the same address means the same mailbox, when unambiguous (as the file store does).
      const folded = idOrEmail.toLowerCase();
      const emails = Object.entries(await redis.hgetall(keys.emails)).filter(
        ([email]) => email.toLowerCase() === folded,
      );
      if (emails.length === 1 && emails[0] !== undefined) {
        const stored = await readVersioned(emails[0][1]);
        if (stored !== undefined) return stored.account;
      }
      throw notFound(idOrEmail);
    },

    upsert(input) {
      return tracked(async () => {
        for (let round = 0; round < maxWriteRounds; round += 1) {
          const timestamp = nowSeconds();
          const existingId = await findIdByEmail(input.email);
          const existing = existingId === undefined ? undefined : await readVersioned(existingId);
          if (existing !== undefined) {
            const { account, reEnabled } = mergeUpsert(existing.account, input, timestamp);
            const outcome = await write(account, existing.version);
            if (outcome !== 'written') continue;
            logger.info(
              { accountId: account.id },
              `Updated account ${account.email}${reEnabled ? ' (re-enabled)' : ''}`,
            );
            return { account, outcome: reEnabled ? ('re-enabled' as const) : ('updated' as const) };
          }
          const id = existingId ?? randomId();
          const account = newAccount(id, input, timestamp);
          const outcome = await write(account, '0');
          if (outcome !== 'written') continue;
          await redis.hsetnx(keys.meta, 'current_account_id', id);
          logger.info({ accountId: id }, `Added account ${account.email}`);
          return { account, outcome: 'added' as const };
        }
        throw new GatewayError('AGW_STORE_IO', `the account ${input.email} kept changing while it was being added`);
      });
    },

    update: (id, mutate) => tracked(() => update(id, mutate)),
    disable: (id, reason, guard) => tracked(() => update(id, disableMutation(reason, guard, nowSeconds()))),
    proxyDisable: (id, reason) => tracked(() => update(id, proxyDisableMutation(reason, nowSeconds()))),
    proxyEnable: (id) => tracked(() => update(id, proxyEnableMutation)),
    persistToken: (id, tokenPatch, guard) => tracked(() => update(id, persistTokenMutation(tokenPatch, guard))),

    remove(id) {
      return tracked(async () => {
        const removed = (await redis.eval(
          removeScript,
          3,
          keys.account(id),
          keys.index,
          keys.emails,
          id,
          keys.changes,
          message('all'),
        )) as number;
        if (removed === 0) throw notFound(id);
        if ((await redis.hget(keys.meta, 'current_account_id')) === id) {
          const first = await redis.zrange(keys.index, 0, 0);
          await redis.hset(keys.meta, 'current_account_id', first[0] ?? '');
        }
        logger.info({ accountId: id }, `Removed account ${id}`);
      });
    },

    importAccount(account) {
      return tracked(async () => {
        for (let round = 0; round < maxWriteRounds; round += 1) {
          const existingId = await findIdByEmail(account.email);
          const id = existingId ?? account.id;
          if (!isSafeAccountId(id)) throw new GatewayError('AGW_INVALID_REQUEST', `unusable account id ${id}`);
          const existing = await readVersioned(id);
          const stored = accountSchema.parse({ ...account, id });
          if ((await write(stored, existing?.version ?? '0')) === 'written') {
            return existing === undefined ? ('added' as const) : ('replaced' as const);
          }
        }
        throw new GatewayError('AGW_STORE_IO', `the account ${account.email} kept changing while it was imported`);
      });
    },

    reorder(ids) {
      return tracked(async () => {
        const current = await redis.zrange(keys.index, 0, -1);
        const known = new Set(current);
        const ordered = ids.filter((id, position) => known.has(id) && ids.indexOf(id) === position);
        const rest = current.filter((id) => !ordered.includes(id));
        const transaction = redis.multi();
        for (const [position, id] of [...ordered, ...rest].entries()) transaction.zadd(keys.index, 'XX', position, id);
        transaction.publish(keys.changes, message('all'));
        await transaction.exec();
        logger.info(`Account order updated, ${current.length} accounts total`);
      });
    },

    watch(listener, watchOptions = {}) {
      // Coalesces a burst (an import of many accounts) into one reload; a single change is passed on at once.
      const windowMs = Math.min(watchOptions.debounceMs ?? 20, 50);
      let pending: Set<string> | 'all' | undefined;
      let timer: NodeJS.Timeout | undefined;
      const flush = (): void => {
        timer = undefined;
        const changed = pending;
        pending = undefined;
        if (changed === undefined) return;
        try {
          listener({ accountIds: changed === 'all' ? 'all' : [...changed].sort() } satisfies AccountChange);
        } catch (error) {
          logger.error({ error: String(error) }, 'A shared-store change listener failed');
        }
      };
      const note = (ids: string[] | 'all'): void => {
        if (ids === 'all' || pending === 'all') pending = 'all';
        else {
          pending ??= new Set();
          for (const id of ids) pending.add(id);
        }
        if (timer === undefined) {
          timer = setTimeout(flush, pending === 'all' || windowMs === 0 ? 0 : 5);
          timer.unref();
        }
      };
      const stopMessages = connection.subscribe(keys.changes, (text) => {
        const ids = parseChange(text);
        if (ids !== undefined) note(ids);
      });
      // Messages sent while the connection was down are gone: read everything again.
      const stopReconnect = connection.onReconnect(() => note('all'));
      return () => {
        stopMessages();
        stopReconnect();
        if (timer !== undefined) clearTimeout(timer);
      };
    },

    async readStored(id) {
      return (await readVersioned(id))?.account;
    },

    nextChange(id, timeoutMs) {
      return new Promise<void>((resolve) => {
        const waiter = {
          id,
          wake: () => {
            clearTimeout(timer);
            changeWaiters.delete(waiter);
            resolve();
          },
        };
        const timer = setTimeout(waiter.wake, timeoutMs);
        timer.unref();
        changeWaiters.add(waiter);
      });
    },
  };
  return withStoreErrors(store, connection.where);
}

/** Every failure of a Redis command leaves the store as an AGW_STORE_IO error naming Redis (not ioredis's text). */
function withStoreErrors(store: RedisAccountStore, where: string): RedisAccountStore {
  const wrap =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await call(...args);
      } catch (error) {
        throw redisError(error, where);
      }
    };
  return {
    ...store,
    list: wrap(store.list),
    get: wrap(store.get),
    upsert: wrap(store.upsert),
    update: wrap(store.update),
    disable: wrap(store.disable),
    proxyDisable: wrap(store.proxyDisable),
    proxyEnable: wrap(store.proxyEnable),
    persistToken: wrap(store.persistToken),
    remove: wrap(store.remove),
    importAccount: wrap(store.importAccount),
    reorder: wrap(store.reorder),
    readStored: wrap(store.readStored),
  };
}

/** A short random pause after losing a compare-and-set, so two processes do not collide again in step. */
function backOff(round: number): Promise<void> {
  const ms = Math.random() * Math.min(50, 2 * round);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function parseChange(text: string): string[] | 'all' | undefined {
  try {
    const parsed = JSON.parse(text) as { ids?: unknown };
    if (parsed.ids === 'all') return 'all';
    if (Array.isArray(parsed.ids)) return parsed.ids.filter((id): id is string => typeof id === 'string');
  } catch {
    // Not ours: ignored.
  }
  return undefined;
}

function corruptEntry(id: string, message: string): GatewayError {
  return new GatewayError(
    'AGW_ACCOUNT_FILE_CORRUPT',
    `the shared store's account ${id} cannot be read (${message}); fix or remove it (agw accounts remove ${id})`,
    { details: { file: `account:${id}` } },
  );
}
