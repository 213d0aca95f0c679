/**
 * Opening agw.db (the request log, the stored responses and the user keys share it): one private file, WAL mode,
 * the shared schema brought up to date (agw-db-schema.ts), the caller's own tables, and one clear error when the
 * file cannot be used.
 */
import { chmodSync, closeSync, openSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { GatewayError } from '../errors/catalogue.ts';
import { migrateAgwDatabase } from './agw-db-schema.ts';
import { type Logger, silentLogger } from './log-port.ts';
import { scrubText } from './redaction.ts';

export function openSqliteFile(options: {
  path: string;
  busyTimeoutMs: number;
  /** What the file holds, for the error message (e.g. "the request log database"). */
  what: string;
  /** Creates the caller's own tables (beyond the shared, versioned schema); runs after the migrations. */
  schema?: string;
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
    // Incremental vacuum lets the request log's pruning give pages back without a full VACUUM. It must be set
    // while the file is empty, and whichever opener comes first (the server, an `agw keys` command) creates it.
    if (Number(tables.tables) === 0) database.exec('PRAGMA auto_vacuum = INCREMENTAL');
    database.exec('PRAGMA journal_mode = WAL');
    database.exec('PRAGMA synchronous = NORMAL');
    migrateAgwDatabase(database);
    if (options.schema) database.exec(options.schema);
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

/**
 * Opens a store kept in agw.db with `open`, or, when that fails, logs one clear error that says what stops working
 * until the file is fixed (`consequence`) and returns the store's disabled stand-in, so the gateway keeps serving.
 */
export function openOrDisabled<Store>(
  open: () => Store,
  disabled: () => Store,
  logger: Logger | undefined,
  consequence: string,
): Store {
  try {
    return open();
  } catch (error) {
    (logger ?? silentLogger).error(
      { code: GatewayError.is(error) ? error.code : 'AGW_STORE_IO' },
      `${error instanceof Error ? error.message : String(error)} ${consequence}`,
    );
    return disabled();
  }
}
