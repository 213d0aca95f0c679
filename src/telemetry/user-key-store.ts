/**
 * User keys on disk: the `user_keys` table of agw.db (schema in agw-db-schema.ts). Only hashes are stored; the key
 * itself is returned once, by `create`. Every change bumps `agw_meta.user_keys_generation` in the same
 * transaction, so a running gateway learns of keys created or revoked by another process (the CLI) by reading one
 * integer instead of the whole table.
 */
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { GatewayError } from '../errors/catalogue.ts';
import { generateKeyId, generateUserKey, hashUserKey, keyHint } from '../keys/key-secret.ts';
import type { UserKeyRecord, UserKeySpec } from '../keys/user-key.ts';
import { openSqliteFile } from './sqlite-file.ts';
import { inWriteTransaction } from './sqlite-transaction.ts';

export interface UserKeyStore {
  /** Stores a new key and returns its record with the key, which is never available again. */
  create(spec: UserKeySpec, now: number): { record: UserKeyRecord; key: string };
  /** Every key, revoked ones included, newest first. */
  list(): UserKeyRecord[];
  /** The key with this id, or the key in force with this name. */
  find(idOrName: string): UserKeyRecord | undefined;
  /**
   * Revokes the key with this id, or the key in force with this name; revoking a revoked key changes nothing.
   * @throws GatewayError `AGW_NOT_FOUND` when there is no such key.
   */
  revoke(idOrName: string, now: number): UserKeyRecord;
  /** Writes last-used times (ms) gathered in memory; older times never overwrite newer ones. */
  touch(lastUsed: ReadonlyMap<string, number>): void;
  /** A number that changes whenever a key is created or revoked, by any process. */
  generation(): number;
  close(): void;
}

type Row = Record<string, SQLInputValue>;

function listFrom(value: SQLInputValue | undefined): string[] | null {
  if (value === null || value === undefined) return null;
  const parsed: unknown = JSON.parse(String(value));
  return Array.isArray(parsed) ? parsed.map(String) : null;
}

function numberOrNull(value: SQLInputValue | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function recordFrom(row: Row): UserKeyRecord {
  return {
    id: String(row['id']),
    name: String(row['name']),
    hash: String(row['key_hash']),
    hint: String(row['key_hint']),
    createdAt: Number(row['created_at']),
    lastUsedAt: numberOrNull(row['last_used_at']),
    expiresAt: numberOrNull(row['expires_at']),
    models: listFrom(row['models']),
    requestsPerMinute: numberOrNull(row['requests_per_minute']),
    tokensPerDay: numberOrNull(row['tokens_per_day']),
    ips: listFrom(row['ips']),
    revokedAt: numberOrNull(row['revoked_at']),
  };
}

const columns =
  'id, name, key_hash, key_hint, created_at, last_used_at, expires_at, models, requests_per_minute, ' +
  'tokens_per_day, ips, revoked_at';

/**
 * Opens the key table in `<dataDir>/agw.db`, creating or upgrading the file as needed.
 * @throws GatewayError `AGW_STORE_IO` when the file cannot be opened or is not a database.
 */
export function openUserKeyStore(options: { path: string; busyTimeoutMs?: number }): UserKeyStore {
  const database: DatabaseSync = openSqliteFile({
    path: options.path,
    busyTimeoutMs: options.busyTimeoutMs ?? 5000,
    what: 'The user key database',
  });
  const insert = database.prepare(`INSERT INTO user_keys (${columns}) VALUES (${columns.replace(/\w+/g, '?')})`);
  const selectAll = database.prepare(`SELECT ${columns} FROM user_keys ORDER BY created_at DESC, id`);
  const selectById = database.prepare(`SELECT ${columns} FROM user_keys WHERE id = ?`);
  const selectActiveByName = database.prepare(`SELECT ${columns} FROM user_keys WHERE name = ? AND revoked_at IS NULL`);
  const revoke = database.prepare('UPDATE user_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  const touch = database.prepare(
    'UPDATE user_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)',
  );
  const bump = database.prepare("UPDATE agw_meta SET value = value + 1 WHERE name = 'user_keys_generation'");
  const readGeneration = database.prepare("SELECT value FROM agw_meta WHERE name = 'user_keys_generation'");

  const inTransaction = <T>(work: () => T): T => inWriteTransaction(database, work);

  const find = (idOrName: string): UserKeyRecord | undefined => {
    const row = (selectById.get(idOrName) ?? selectActiveByName.get(idOrName)) as Row | undefined;
    return row ? recordFrom(row) : undefined;
  };

  return {
    create(spec, now) {
      const key = generateUserKey();
      const record: UserKeyRecord = {
        id: generateKeyId(),
        name: spec.name,
        hash: hashUserKey(key),
        hint: keyHint(key),
        createdAt: now,
        lastUsedAt: null,
        expiresAt: spec.expiresAt,
        models: spec.models,
        requestsPerMinute: spec.requestsPerMinute,
        tokensPerDay: spec.tokensPerDay,
        ips: spec.ips,
        revokedAt: null,
      };
      inTransaction(() => {
        if (selectActiveByName.get(spec.name)) {
          throw new GatewayError(
            'AGW_INVALID_REQUEST',
            `a key named "${spec.name}" already exists; revoke it first or choose another name`,
          );
        }
        insert.run(
          record.id,
          record.name,
          record.hash,
          record.hint,
          record.createdAt,
          null,
          record.expiresAt,
          record.models ? JSON.stringify(record.models) : null,
          record.requestsPerMinute,
          record.tokensPerDay,
          record.ips ? JSON.stringify(record.ips) : null,
          null,
        );
        bump.run();
      });
      return { record, key };
    },
    list: () => (selectAll.all() as Row[]).map(recordFrom),
    find,
    revoke(idOrName, now) {
      return inTransaction(() => {
        const found = find(idOrName);
        if (!found)
          throw new GatewayError('AGW_NOT_FOUND', `no user key has the id or name ${JSON.stringify(idOrName)}`);
        if (found.revokedAt !== null) return found;
        revoke.run(now, found.id);
        bump.run();
        return { ...found, revokedAt: now };
      });
    },
    touch(lastUsed) {
      if (lastUsed.size === 0) return;
      inTransaction(() => {
        for (const [id, time] of lastUsed) touch.run(time, id, time);
      });
    },
    generation() {
      const row = readGeneration.get() as { value: number } | undefined;
      return Number(row?.value ?? 0);
    },
    close: () => database.close(),
  };
}
