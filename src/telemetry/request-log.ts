import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { GatewayError } from '../errors/catalogue.ts';
import { FlushTimer } from './flush-timer.ts';
import { type Logger, silentLogger } from './log-port.ts';
import { type RequestLogEntry, type RequestLogRow, type RequestProtocol, toStoredRow } from './request-log-row.ts';
import { openOrDisabled, openSqliteFile } from './sqlite-file.ts';
import { inWriteTransaction } from './sqlite-transaction.ts';

export type { RequestLogEntry, RequestLogRow, RequestProtocol } from './request-log-row.ts';

const dayMs = 86_400_000;
const hourMs = 3_600_000;

export interface RequestLogOptions {
  /** The database file, normally `<dataDir>/agw.db`. */
  path: string;
  /** Clock in ms. */
  now?: () => number;
  retention?: {
    /** Rows older than this are deleted. Default 30 days. */
    maxAgeDays?: number;
    /** Only the newest this many rows are kept. Default 100 000. */
    maxRows?: number;
    /** How often retention runs after writes, ms. Default 10 minutes; it also runs at open. */
    intervalMs?: number;
  };
  batch?: {
    /** A queue this long is flushed at once instead of waiting for the timer. Default 200. */
    maxRows?: number;
    /**
     * Most ms a queued row waits for its write (the timer starts with the first queued row); 0 turns the timer off
     * (tests flush by hand). Default 250.
     */
    intervalMs?: number;
    /** At most this many rows wait in memory; beyond it the oldest are dropped and counted. Default 10 000. */
    maxQueue?: number;
  };
  /** SQLite busy timeout, ms. Default 5000. */
  busyTimeoutMs?: number;
  logger?: Logger;
}

export interface RequestLogFilter {
  /** Inclusive lower bound on `time`, ms. */
  since?: number;
  /** Exclusive upper bound on `time`, ms. */
  until?: number;
  /** `error`: status below 200 or from 400, or an error code (a stream that broke after it started). */
  outcome?: 'success' | 'error';
  protocol?: RequestProtocol;
  /** Matches the client's model or the mapped model. */
  model?: string;
  accountId?: string;
  /** The user key that made the request (its id). */
  keyId?: string;
  errorCode?: string;
  /** Default 50, at most 1000. */
  limit?: number;
  /** At most 100 000. */
  offset?: number;
}

export type UsageGrouping = 'account' | 'model' | 'key' | 'hour' | 'day';

export interface UsageRow {
  /**
   * Account id, model, user key id (`''` for requests made with the gateway's own API key or none), or the UTC
   * bucket (`2026-11-22T13:00Z` for hours, `2026-11-22` for days).
   */
  key: string;
  /** The user key's name, when grouping by key. */
  name?: string;
  /** Start of the bucket in ms for hour and day groupings. */
  bucketStart?: number;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  totalTokens: number;
}

export interface PruneResult {
  deletedByAge: number;
  deletedByCount: number;
}

export interface RequestLogStats {
  queued: number;
  /** Rows dropped because the queue was full. */
  dropped: number;
  written: number;
  transactions: number;
  /** Rows lost because a write failed (disk full, database locked for too long). */
  failedWrites: number;
}

export interface RequestLog {
  /** Queues a row; never touches the disk and never throws. */
  record(entry: RequestLogEntry): void;
  /** Writes every queued row in one transaction. Returns how many rows were written. */
  flush(): number;
  /** Rows matching the filter, newest first (queued rows are flushed first). */
  query(filter?: RequestLogFilter): RequestLogRow[];
  count(filter?: Omit<RequestLogFilter, 'limit' | 'offset'>): number;
  usage(options: { groupBy: UsageGrouping; since?: number; until?: number }): UsageRow[];
  /** Deletes rows older than `maxAgeDays` and beyond the newest `maxRows`. */
  prune(): PruneResult;
  stats(): RequestLogStats;
  /** Flushes, stops the timer and closes the database. */
  close(): void;
  /** True for the stand-in returned when the database could not be opened. */
  readonly disabled: boolean;
}

const columns =
  'id, time, protocol, route, method, client_model, mapped_model, account_id, status, total_ms, upstream_ms, ' +
  'attempts, input_tokens, output_tokens, cached_tokens, error_code, stream, key_id, key_name';
const errorCondition = '(status < 200 OR status >= 400 OR error_code IS NOT NULL)';

type StoredRecord = Record<string, SQLInputValue>;

function fromRecord(record: StoredRecord): RequestLogRow {
  const numberOrNull = (value: SQLInputValue): number | null => (value === null ? null : Number(value));
  const textOrNull = (value: SQLInputValue): string | null => (value === null ? null : String(value));
  return {
    id: String(record['id']),
    time: Number(record['time']),
    protocol: String(record['protocol']) as RequestProtocol,
    route: String(record['route']),
    method: String(record['method']),
    clientModel: textOrNull(record['client_model'] ?? null),
    mappedModel: textOrNull(record['mapped_model'] ?? null),
    accountId: textOrNull(record['account_id'] ?? null),
    status: Number(record['status']),
    totalMs: Number(record['total_ms']),
    upstreamMs: numberOrNull(record['upstream_ms'] ?? null),
    attempts: Number(record['attempts']),
    inputTokens: numberOrNull(record['input_tokens'] ?? null),
    outputTokens: numberOrNull(record['output_tokens'] ?? null),
    cachedTokens: numberOrNull(record['cached_tokens'] ?? null),
    errorCode: textOrNull(record['error_code'] ?? null),
    stream: Number(record['stream']) === 1,
    keyId: textOrNull(record['key_id'] ?? null),
    keyName: textOrNull(record['key_name'] ?? null),
  };
}

function toParameters(row: RequestLogRow): SQLInputValue[] {
  return [
    row.id,
    row.time,
    row.protocol,
    row.route,
    row.method,
    row.clientModel,
    row.mappedModel,
    row.accountId,
    row.status,
    row.totalMs,
    row.upstreamMs,
    row.attempts,
    row.inputTokens,
    row.outputTokens,
    row.cachedTokens,
    row.errorCode,
    row.stream ? 1 : 0,
    row.keyId,
    row.keyName,
  ];
}

function whereClause(filter: RequestLogFilter): { sql: string; parameters: SQLInputValue[] } {
  const conditions: string[] = [];
  const parameters: SQLInputValue[] = [];
  if (filter.since !== undefined) {
    conditions.push('time >= ?');
    parameters.push(filter.since);
  }
  if (filter.until !== undefined) {
    conditions.push('time < ?');
    parameters.push(filter.until);
  }
  if (filter.outcome === 'error') conditions.push(errorCondition);
  if (filter.outcome === 'success') conditions.push(`NOT ${errorCondition}`);
  if (filter.protocol !== undefined) {
    conditions.push('protocol = ?');
    parameters.push(filter.protocol);
  }
  if (filter.model !== undefined) {
    conditions.push('(client_model = ? OR mapped_model = ?)');
    parameters.push(filter.model, filter.model);
  }
  if (filter.accountId !== undefined) {
    conditions.push('account_id = ?');
    parameters.push(filter.accountId);
  }
  if (filter.keyId !== undefined) {
    conditions.push('key_id = ?');
    parameters.push(filter.keyId);
  }
  if (filter.errorCode !== undefined) {
    conditions.push('error_code = ?');
    parameters.push(filter.errorCode);
  }
  return { sql: conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`, parameters };
}

function bounded(value: number | undefined, fallback: number, maximum: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(maximum, Math.max(0, Math.floor(value)));
}

const groupKeys: Record<UsageGrouping, string> = {
  account: "COALESCE(account_id, '')",
  model: "COALESCE(mapped_model, client_model, '')",
  key: "COALESCE(key_id, '')",
  hour: `(time / ${hourMs}) * ${hourMs}`,
  day: `(time / ${dayMs}) * ${dayMs}`,
};

function openDatabase(path: string, busyTimeoutMs: number): DatabaseSync {
  // The request_log table is part of the shared, versioned schema (agw-db-schema.ts).
  return openSqliteFile({ path, busyTimeoutMs, what: 'The request log database' });
}

/**
 * Opens (or creates) the request log: SQLite in WAL mode, one connection, prepared statements. `record` only
 * queues in memory; a timer started by the first queued row writes the queue in one transaction, off the
 * request's path. Retention deletes by age and by row count, both in ms and rows, at open and then at most every
 * `retention.intervalMs` after writes.
 * @throws GatewayError `AGW_STORE_IO` when the file cannot be opened or is not a database; use
 * {@link openRequestLogOrDisabled} to keep running without a request log instead.
 */
export function openRequestLog(options: RequestLogOptions): RequestLog {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const maxAgeMs = (options.retention?.maxAgeDays ?? 30) * dayMs;
  const maxRows = options.retention?.maxRows ?? 100_000;
  const pruneIntervalMs = options.retention?.intervalMs ?? 600_000;
  const batchRows = options.batch?.maxRows ?? 200;
  const intervalMs = options.batch?.intervalMs ?? 250;
  const maxQueue = Math.max(1, options.batch?.maxQueue ?? 10_000);
  const database = openDatabase(options.path, options.busyTimeoutMs ?? 5000);

  const insert = database.prepare(
    `INSERT INTO request_log (${columns}) VALUES (${columns
      .split(',')
      .map(() => '?')
      .join(', ')})`,
  );
  const deleteOlder = database.prepare('DELETE FROM request_log WHERE time < ?');
  const deleteBeyond = database.prepare(
    'DELETE FROM request_log WHERE seq <= (SELECT seq FROM request_log ORDER BY seq DESC LIMIT 1 OFFSET ?)',
  );
  const statements = new Map<string, StatementSync>();
  const prepared = (sql: string): StatementSync => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = database.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };

  let queue: RequestLogRow[] = [];
  const stats: RequestLogStats = { queued: 0, dropped: 0, written: 0, transactions: 0, failedWrites: 0 };
  let lastPrune = Number.NEGATIVE_INFINITY;
  let immediate: NodeJS.Immediate | undefined;
  let closed = false;

  const prune = (): PruneResult => {
    lastPrune = now();
    const byAge = deleteOlder.run(now() - maxAgeMs);
    const byCount = deleteBeyond.run(maxRows);
    const result = { deletedByAge: Number(byAge.changes), deletedByCount: Number(byCount.changes) };
    if (result.deletedByAge + result.deletedByCount > 0) database.exec('PRAGMA incremental_vacuum');
    return result;
  };

  const flush = (): number => {
    if (queue.length === 0 || closed) return 0;
    const rows = queue;
    queue = [];
    try {
      inWriteTransaction(database, () => {
        for (const row of rows) insert.run(...toParameters(row));
      });
      stats.transactions += 1;
      stats.written += rows.length;
      if (now() - lastPrune >= pruneIntervalMs) prune();
      return rows.length;
    } catch (error) {
      stats.failedWrites += rows.length;
      logger.warn(
        { rows: rows.length, error: error instanceof Error ? error.message : String(error) },
        'request log write failed; rows dropped',
      );
      return 0;
    }
  };

  const timer = new FlushTimer(intervalMs, flush);

  try {
    prune();
  } catch (error) {
    database.close();
    throw new GatewayError('AGW_STORE_IO', `The request log database ${options.path} cannot be pruned.`, {
      cause: error,
    });
  }

  const select = (filter: RequestLogFilter = {}): RequestLogRow[] => {
    flush();
    const where = whereClause(filter);
    const limit = bounded(filter.limit, 50, 1000);
    const offset = bounded(filter.offset, 0, 100_000);
    const rows = prepared(
      `SELECT ${columns} FROM request_log ${where.sql} ORDER BY time DESC, seq DESC LIMIT ? OFFSET ?`,
    ).all(...where.parameters, limit, offset) as StoredRecord[];
    return rows.map(fromRecord);
  };

  return {
    disabled: false,
    record(entry) {
      if (closed) return;
      try {
        if (queue.length >= maxQueue) {
          queue.shift();
          stats.dropped += 1;
        }
        queue.push(toStoredRow(entry, now()));
        timer.arm();
        if (queue.length >= batchRows && immediate === undefined && intervalMs > 0) {
          immediate = setImmediate(() => {
            immediate = undefined;
            flush();
          });
        }
      } catch (error) {
        logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'request log entry rejected');
      }
    },
    flush,
    query: select,
    count(filter = {}) {
      flush();
      const where = whereClause(filter);
      const result = prepared(`SELECT count(*) AS total FROM request_log ${where.sql}`).get(...where.parameters) as {
        total: number;
      };
      return Number(result.total);
    },
    usage({ groupBy, since, until }) {
      flush();
      const where = whereClause({
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
      });
      const key = groupKeys[groupBy];
      const bucketed = groupBy === 'hour' || groupBy === 'day';
      const rows = prepared(
        `SELECT ${key} AS key, max(key_name) AS name, count(*) AS requests, sum(CASE WHEN ${errorCondition} THEN 1 ELSE 0 END) AS errors,
           coalesce(sum(input_tokens), 0) AS input, coalesce(sum(output_tokens), 0) AS output,
           coalesce(sum(cached_tokens), 0) AS cached
         FROM request_log ${where.sql} GROUP BY key
         ORDER BY ${bucketed ? 'key ASC' : '(input + output) DESC, requests DESC, key ASC'}`,
      ).all(...where.parameters) as StoredRecord[];
      return rows.map((row) => {
        const inputTokens = Number(row['input']);
        const outputTokens = Number(row['output']);
        const usage: UsageRow = {
          key: String(row['key']),
          requests: Number(row['requests']),
          errors: Number(row['errors']),
          inputTokens,
          outputTokens,
          cachedTokens: Number(row['cached']),
          totalTokens: inputTokens + outputTokens,
        };
        if (groupBy === 'key' && row['name'] !== null && row['name'] !== undefined) usage.name = String(row['name']);
        if (bucketed) {
          const start = Number(row['key']);
          const iso = new Date(start).toISOString();
          usage.bucketStart = start;
          usage.key = groupBy === 'day' ? iso.slice(0, 10) : `${iso.slice(0, 13)}:00Z`;
        }
        return usage;
      });
    },
    prune() {
      flush();
      return prune();
    },
    stats: () => ({ ...stats, queued: queue.length }),
    close() {
      if (closed) return;
      flush();
      closed = true;
      timer.cancel();
      if (immediate) clearImmediate(immediate);
      database.close();
    },
  };
}

/** A request log that stores nothing, used when the database cannot be opened. */
export function createDisabledRequestLog(): RequestLog {
  return {
    disabled: true,
    record: () => undefined,
    flush: () => 0,
    query: () => [],
    count: () => 0,
    usage: () => [],
    prune: () => ({ deletedByAge: 0, deletedByCount: 0 }),
    stats: () => ({ queued: 0, dropped: 0, written: 0, transactions: 0, failedWrites: 0 }),
    close: () => undefined,
  };
}

/**
 * Opens the request log, or — when that fails — logs one clear error and returns a disabled log, so the gateway
 * keeps serving without request history rather than refusing to start.
 */
export function openRequestLogOrDisabled(options: RequestLogOptions): RequestLog {
  return openOrDisabled(
    () => openRequestLog(options),
    createDisabledRequestLog,
    options.logger,
    'Request logging is off until then.',
  );
}
