/**
 * Opening agw.db (the request log and the stored responses share it): one private file, WAL mode, the caller's
 * schema, and one clear error when the file cannot be used.
 */
import { chmodSync, closeSync, openSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { GatewayError } from '../errors/catalogue.ts';
import { scrubText } from './redaction.ts';

export function openSqliteFile(options: {
  path: string;
  busyTimeoutMs: number;
  /** What the file holds, for the error message (e.g. "the request log database"). */
  what: string;
  /** Creates the caller's tables; runs after WAL mode is on. */
  schema: string;
  /** Runs once before WAL mode is set, while the file is still empty (e.g. `auto_vacuum`, which must come first). */
  onNewFile?: (database: DatabaseSync) => void;
}): DatabaseSync {
  const { path } = options;
  let database: DatabaseSync | undefined;
  try {
    // The file says which account served which model when: private like the rest of the data directory. SQLite
    // gives its -wal and -shm files the mode of the database file, so creating that one 0600 covers all three.
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
    database = new DatabaseSync(path, { timeout: options.busyTimeoutMs });
    // Reading the schema is the first access to the file, so a file that is not a database fails here.
    const tables = database.prepare('SELECT count(*) AS tables FROM sqlite_master').get() as { tables: number };
    if (Number(tables.tables) === 0) options.onNewFile?.(database);
    database.exec('PRAGMA journal_mode = WAL');
    database.exec('PRAGMA synchronous = NORMAL');
    database.exec(options.schema);
    return database;
  } catch (error) {
    try {
      database?.close();
    } catch {
      // already unusable
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new GatewayError(
      'AGW_STORE_IO',
      `${options.what} ${path} cannot be opened (${scrubText(reason)}). Move the file aside or delete it; agw creates a new one.`,
      { cause: error, details: { path } },
    );
  }
}
