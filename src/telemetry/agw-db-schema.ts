/**
 * The schema of agw.db and how an older file is brought up to date, in place, keeping every row.
 *
 * `PRAGMA user_version` holds the schema version. Each migration runs once, in order, inside one IMMEDIATE
 * transaction together with the version bump, so two processes opening the same old file (`agw serve` and an
 * `agw keys` command) never migrate it twice, and a failed migration leaves the file as it was.
 *
 * Migrations are also safe to run again on a file that already has their changes: agw releases before version 2
 * wrote `user_version = 1` on every open, so a newer file opened once by an older agw comes back saying 1.
 *
 * | version | what it added |
 * |---|---|
 * | 1 | `request_log` and its indexes (the first release) |
 * | 2 | `request_log.key_id` / `key_name` (who asked, by user key), `user_keys`, `agw_meta` |
 *
 * The stored responses table (telemetry/response-store.ts) is created by its owner when missing and needs no
 * version of its own yet.
 */
import type { DatabaseSync } from 'node:sqlite';
import { inWriteTransaction } from './sqlite-transaction.ts';

interface Migration {
  version: number;
  apply(database: DatabaseSync): void;
}

function columnsOf(database: DatabaseSync, table: string): Set<string> {
  const rows = database.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
  return new Set(rows.map((row) => String(row.name)));
}

function addColumnIfMissing(database: DatabaseSync, table: string, column: string, type: string): void {
  if (!columnsOf(database, table).has(column)) database.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
}

const migrations: readonly Migration[] = [
  {
    version: 1,
    apply(database) {
      database.exec(`
        CREATE TABLE IF NOT EXISTS request_log (
          seq INTEGER PRIMARY KEY,
          id TEXT NOT NULL,
          time INTEGER NOT NULL,
          protocol TEXT NOT NULL,
          route TEXT NOT NULL,
          method TEXT NOT NULL,
          client_model TEXT,
          mapped_model TEXT,
          account_id TEXT,
          status INTEGER NOT NULL,
          total_ms INTEGER NOT NULL,
          upstream_ms INTEGER,
          attempts INTEGER NOT NULL,
          input_tokens INTEGER,
          output_tokens INTEGER,
          cached_tokens INTEGER,
          error_code TEXT,
          stream INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS request_log_time ON request_log (time);
        CREATE INDEX IF NOT EXISTS request_log_account_time ON request_log (account_id, time);
      `);
    },
  },
  {
    version: 2,
    apply(database) {
      addColumnIfMissing(database, 'request_log', 'key_id', 'TEXT');
      addColumnIfMissing(database, 'request_log', 'key_name', 'TEXT');
      database.exec(`
        CREATE INDEX IF NOT EXISTS request_log_key_time ON request_log (key_id, time);
        CREATE TABLE IF NOT EXISTS user_keys (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          key_hash TEXT NOT NULL UNIQUE,
          key_hint TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          last_used_at INTEGER,
          expires_at INTEGER,
          models TEXT,
          requests_per_minute INTEGER,
          tokens_per_day INTEGER,
          ips TEXT,
          revoked_at INTEGER
        );
        CREATE UNIQUE INDEX IF NOT EXISTS user_keys_active_name ON user_keys (name) WHERE revoked_at IS NULL;
        CREATE TABLE IF NOT EXISTS agw_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT OR IGNORE INTO agw_meta (name, value) VALUES ('user_keys_generation', 0);
      `);
    },
  },
];

/** The schema version this agw writes. */
export const agwDatabaseVersion = migrations.at(-1)?.version ?? 0;

function versionOf(database: DatabaseSync): number {
  const row = database.prepare('PRAGMA user_version').get() as { user_version: number };
  return Number(row.user_version);
}

/**
 * Brings the file up to {@link agwDatabaseVersion}. A file from a newer agw (a higher version) is left alone: its
 * extra columns and tables do not disturb this one.
 */
export function migrateAgwDatabase(database: DatabaseSync): void {
  if (versionOf(database) >= agwDatabaseVersion) return;
  inWriteTransaction(database, () => {
    // Read again under the write lock: another process may have migrated while this one waited.
    const current = versionOf(database);
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      migration.apply(database);
      database.exec(`PRAGMA user_version = ${migration.version}`);
    }
  });
}
