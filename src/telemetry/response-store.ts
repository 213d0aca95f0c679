/**
 * Stored Responses API answers, for `previous_response_id` and `GET /v1/responses/{id}`.
 *
 * Kept in the request log's database (`<dataDir>/agw.db`, its own table `stored_responses`, created when missing).
 * A response holds the conversation that led to it (input items, then its output items), so a follow-up turn only
 * names it. Like the request log, `save` only queues in memory and a timer writes the queue in one transaction, off
 * the request's path; `get` answers from the queue first. Retention bounds the table by age, by row count and by
 * total size, at open and after every write.
 */
import type { DatabaseSync } from 'node:sqlite';
import { GatewayError } from '../errors/catalogue.ts';
import { FlushTimer } from './flush-timer.ts';
import { type Logger, silentLogger } from './log-port.ts';
import { openOrDisabled, openSqliteFile } from './sqlite-file.ts';
import { inWriteTransaction } from './sqlite-transaction.ts';

const dayMs = 86_400_000;

export interface StoredResponse {
  /** `resp_…` */
  id: string;
  /** When it was stored, ms since the epoch. */
  createdAt: number;
  /** The model the client asked for, used when a follow-up names no model. */
  model: string;
  /** The response object as the client received it. */
  response: Record<string, unknown>;
  /** The conversation so far: every input item, then the response's output items. */
  items: unknown[];
}

export interface ResponseStoreOptions {
  /** The database file, normally `<dataDir>/agw.db`. */
  path: string;
  /** Clock in ms. */
  now?: () => number;
  retention?: {
    /** Responses older than this are gone. Default 30 days, as OpenAI keeps them. */
    maxAgeDays?: number;
    /** Only the newest this many are kept. Default 5000. */
    maxRows?: number;
    /** Only the newest responses up to this many bytes (JSON text) are kept. Default 256 MiB. */
    maxBytes?: number;
  };
  /**
   * Most ms a saved response waits for its write (the timer starts with the first one queued); 0 turns the timer
   * off (tests flush by hand). Default 250.
   */
  flushIntervalMs?: number;
  /** SQLite busy timeout, ms. Default 5000. */
  busyTimeoutMs?: number;
  logger?: Logger;
}

export interface ResponseStore {
  /** Queues a response for storage; never touches the disk and never throws. */
  save(response: StoredResponse): void;
  /** The stored response, or undefined when it was never stored, was deleted or has expired. */
  get(id: string): StoredResponse | undefined;
  /** Deletes a response; false when there was none. */
  delete(id: string): boolean;
  /** Writes the queue in one transaction, then applies retention. Returns how many responses were written. */
  flush(): number;
  /** Flushes, stops the timer and closes the database. */
  close(): void;
  /** True for the stand-in used when the database cannot be opened. */
  readonly disabled: boolean;
}

const schema = `
CREATE TABLE IF NOT EXISTS stored_responses (
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  model TEXT NOT NULL,
  response TEXT NOT NULL,
  items TEXT NOT NULL,
  size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS stored_responses_created ON stored_responses (created_at);
`;

interface Row {
  id: string;
  created_at: number;
  model: string;
  response: string;
  items: string;
}

function openDatabase(path: string, busyTimeoutMs: number): DatabaseSync {
  return openSqliteFile({ path, busyTimeoutMs, what: 'The response store in', schema });
}

/**
 * Opens (or creates) the response store.
 * @throws GatewayError `AGW_STORE_IO` when the file cannot be opened or is not a database; use
 * {@link openResponseStoreOrDisabled} to keep serving without stored responses instead.
 */
export function openResponseStore(options: ResponseStoreOptions): ResponseStore {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const maxAgeMs = (options.retention?.maxAgeDays ?? 30) * dayMs;
  const maxRows = options.retention?.maxRows ?? 5000;
  const maxBytes = options.retention?.maxBytes ?? 256 * 1024 * 1024;
  const intervalMs = options.flushIntervalMs ?? 250;
  const database = openDatabase(options.path, options.busyTimeoutMs ?? 5000);

  const upsert = database.prepare(
    'INSERT OR REPLACE INTO stored_responses (id, created_at, model, response, items, size) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const select = database.prepare(
    'SELECT id, created_at, model, response, items FROM stored_responses WHERE id = ? AND created_at >= ?',
  );
  const remove = database.prepare('DELETE FROM stored_responses WHERE id = ?');
  const deleteOlder = database.prepare('DELETE FROM stored_responses WHERE created_at < ?');
  const deleteBeyondCount = database.prepare(
    'DELETE FROM stored_responses WHERE rowid IN (SELECT rowid FROM stored_responses ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)',
  );
  const deleteBeyondSize = database.prepare(
    `DELETE FROM stored_responses WHERE rowid IN (
       SELECT rowid FROM (
         SELECT rowid, SUM(size) OVER (ORDER BY created_at DESC, rowid DESC) AS running FROM stored_responses
       ) WHERE running > ?)`,
  );

  const queue = new Map<string, StoredResponse>();
  let closed = false;

  const prune = (): void => {
    deleteOlder.run(now() - maxAgeMs);
    deleteBeyondCount.run(maxRows);
    deleteBeyondSize.run(maxBytes);
  };

  const flush = (): number => {
    if (queue.size === 0 || closed) return 0;
    const entries = [...queue.values()];
    queue.clear();
    try {
      inWriteTransaction(database, () => {
        for (const entry of entries) {
          const response = JSON.stringify(entry.response);
          const items = JSON.stringify(entry.items);
          upsert.run(entry.id, entry.createdAt, entry.model, response, items, response.length + items.length);
        }
        prune();
      });
      return entries.length;
    } catch (error) {
      logger.warn(
        { responses: entries.length, error: error instanceof Error ? error.message : String(error) },
        'response store write failed; responses dropped',
      );
      return 0;
    }
  };

  const timer = new FlushTimer(intervalMs, flush);
  try {
    prune();
  } catch (error) {
    database.close();
    throw new GatewayError('AGW_STORE_IO', `The response store in ${options.path} cannot be pruned.`, { cause: error });
  }

  return {
    disabled: false,
    save(response) {
      if (closed) return;
      // The newest version of an id wins; re-inserting moves it to the end of the queue.
      queue.delete(response.id);
      queue.set(response.id, response);
      if (queue.size > maxRows) queue.delete(queue.keys().next().value as string);
      timer.arm();
    },
    get(id) {
      const queued = queue.get(id);
      if (queued !== undefined) return queued.createdAt >= now() - maxAgeMs ? queued : undefined;
      if (closed) return undefined;
      const row = select.get(id, now() - maxAgeMs) as Row | undefined;
      if (row === undefined) return undefined;
      return {
        id: row.id,
        createdAt: Number(row.created_at),
        model: row.model,
        response: JSON.parse(row.response) as Record<string, unknown>,
        items: JSON.parse(row.items) as unknown[],
      };
    },
    delete(id) {
      const queued = queue.delete(id);
      if (closed) return queued;
      return Number(remove.run(id).changes) > 0 || queued;
    },
    flush,
    close() {
      if (closed) return;
      flush();
      closed = true;
      timer.cancel();
      database.close();
    },
  };
}

/** A store that keeps nothing, used when the database cannot be opened. */
export function createDisabledResponseStore(): ResponseStore {
  return {
    disabled: true,
    save: () => undefined,
    get: () => undefined,
    delete: () => false,
    flush: () => 0,
    close: () => undefined,
  };
}

/** Opens the store, or logs one clear error and returns a disabled store, so generation keeps working. */
export function openResponseStoreOrDisabled(options: ResponseStoreOptions): ResponseStore {
  return openOrDisabled(
    () => openResponseStore(options),
    createDisabledResponseStore,
    options.logger,
    'Responses are not stored until then.',
  );
}
