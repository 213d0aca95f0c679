/**
 * agw.db written by the release before user keys (schema version 1) is upgraded in place: every request-log row
 * and stored response stays, the new columns and tables appear, and the file then works for the request log and
 * the key store alike. Also: a file an older agw reopened (which wrote version 1 back) upgrades again cleanly.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { parseKeySpec } from '../../src/keys/user-key.ts';
import { agwDatabaseVersion } from '../../src/telemetry/agw-db-schema.ts';
import { openRequestLog } from '../../src/telemetry/request-log.ts';
import { openResponseStore } from '../../src/telemetry/response-store.ts';
import { openUserKeyStore } from '../../src/telemetry/user-key-store.ts';
import { tempDir } from '../support/temp-dir.ts';

/** The schema exactly as the release before user keys created it (request-log.ts and response-store.ts). */
const versionOneSchema = `
PRAGMA auto_vacuum = INCREMENTAL;
PRAGMA journal_mode = WAL;
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
CREATE TABLE IF NOT EXISTS stored_responses (
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  model TEXT NOT NULL,
  response TEXT NOT NULL,
  items TEXT NOT NULL,
  size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS stored_responses_created ON stored_responses (created_at);
PRAGMA user_version = 1;
`;

async function versionOneFile(rows: number): Promise<{ directory: string; path: string; now: number }> {
  const directory = await tempDir('agw-migrate-');
  const path = join(directory, 'agw.db');
  const now = Date.now();
  const database = new DatabaseSync(path);
  database.exec(versionOneSchema);
  const insert = database.prepare(
    `INSERT INTO request_log (id, time, protocol, route, method, client_model, mapped_model, account_id, status,
       total_ms, upstream_ms, attempts, input_tokens, output_tokens, cached_tokens, error_code, stream)
     VALUES (?, ?, 'openai', '/v1/chat/completions', 'POST', 'gpt-4o', 'gemini-3-flash', 'acc-1', 200, 10, 8, 1, ?, 5, 0, NULL, 0)`,
  );
  for (let index = 0; index < rows; index += 1) insert.run(`row-${index}`, now - index * 1000, 10 + index);
  database
    .prepare('INSERT INTO stored_responses VALUES (?, ?, ?, ?, ?, ?)')
    .run('resp_old', now, 'gpt-4o', JSON.stringify({ id: 'resp_old' }), '[]', 20);
  database.close();
  return { directory, path, now };
}

function inspect(path: string) {
  const database = new DatabaseSync(path, { readOnly: true });
  try {
    const version = Number((database.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
    const columns = (database.prepare('PRAGMA table_info(request_log)').all() as Array<{ name: string }>).map(
      (column) => column.name,
    );
    const tables = (
      database.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{
        name: string;
      }>
    ).map((table) => table.name);
    const rows = Number((database.prepare('SELECT count(*) AS n FROM request_log').get() as { n: number }).n);
    return { version, columns, tables, rows };
  } finally {
    database.close();
  }
}

test('a version-1 agw.db is upgraded in place by the request log: rows kept, key columns and tables added', async () => {
  const { directory, path, now } = await versionOneFile(25);
  try {
    assert.equal(inspect(path).version, 1);
    const log = openRequestLog({ path, batch: { intervalMs: 0 } });
    try {
      const after = inspect(path);
      assert.equal(after.version, agwDatabaseVersion);
      assert.equal(agwDatabaseVersion, 2);
      assert.equal(after.rows, 25, 'every old row is still there');
      assert.ok(after.columns.includes('key_id') && after.columns.includes('key_name'));
      for (const table of ['request_log', 'stored_responses', 'user_keys', 'agw_meta'])
        assert.ok(after.tables.includes(table), table);
      const oldRows = log.query({ limit: 100 });
      assert.equal(oldRows.length, 25);
      assert.equal(oldRows[0]?.keyId, null, 'old rows belong to no user key');
      assert.equal(oldRows[0]?.inputTokens, 10);
      log.record({
        protocol: 'openai',
        route: '/v1/chat/completions',
        method: 'POST',
        status: 200,
        totalMs: 3,
        keyId: 'key_a',
        keyName: 'alice',
        inputTokens: 7,
        outputTokens: 3,
        time: now,
      });
      log.flush();
      const byKey = log.usage({ groupBy: 'key', since: now - 3_600_000 });
      assert.deepEqual(
        byKey.map((row) => [row.key, row.name ?? null, row.requests, row.totalTokens]).sort(),
        [
          ['', null, 25, 25 * 10 + (24 * 25) / 2 + 25 * 5],
          ['key_a', 'alice', 1, 10],
        ].sort(),
      );
      assert.equal(log.count({ keyId: 'key_a' }), 1);
    } finally {
      log.close();
    }
    const responses = openResponseStore({ path, flushIntervalMs: 0 });
    try {
      assert.equal(responses.get('resp_old')?.model, 'gpt-4o', 'stored responses survive');
    } finally {
      responses.close();
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('the key store (e.g. `agw keys create` before any serve) upgrades the same file the same way', async () => {
  const { directory, path } = await versionOneFile(3);
  try {
    const store = openUserKeyStore({ path });
    try {
      const generation = store.generation();
      const { record, key } = store.create(parseKeySpec({ name: 'alice', models: 'gemini-*' }, Date.now()), Date.now());
      assert.equal(store.generation(), generation + 1);
      assert.deepEqual(
        store.list().map((stored) => stored.id),
        [record.id],
      );
      assert.equal(store.list()[0]?.hash.length, 64);
      assert.ok(!JSON.stringify(store.list()).includes(key), 'the key itself is stored nowhere');
      assert.throws(() => store.create(parseKeySpec({ name: 'alice' }, Date.now()), Date.now()), /already exists/);
      const revoked = store.revoke('alice', 5);
      assert.equal(revoked.revokedAt, 5);
      assert.equal(store.generation(), generation + 2);
      assert.equal(store.revoke(record.id, 9).revokedAt, 5, 'revoking twice changes nothing');
      assert.equal(store.generation(), generation + 2);
      assert.equal(
        store.create(parseKeySpec({ name: 'alice' }, Date.now()), Date.now()).record.name,
        'alice',
        'the name is free again',
      );
      assert.throws(() => store.revoke('nobody', 1), /no user key/);
      store.touch(new Map([[record.id, 100]]));
      store.touch(new Map([[record.id, 50]]));
      assert.equal(store.find(record.id)?.lastUsedAt, 100, 'an older time never overwrites a newer one');
    } finally {
      store.close();
    }
    assert.equal(inspect(path).rows, 3);
    assert.equal(inspect(path).version, 2);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('a file an older agw reopened (version written back to 1) upgrades again without losing keys', async () => {
  const { directory, path } = await versionOneFile(2);
  try {
    const store = openUserKeyStore({ path });
    store.create(parseKeySpec({ name: 'kept' }, Date.now()), Date.now());
    store.close();
    const older = new DatabaseSync(path);
    older.exec('PRAGMA user_version = 1');
    older.close();
    const again = openUserKeyStore({ path });
    try {
      assert.deepEqual(
        again.list().map((record) => record.name),
        ['kept'],
      );
      assert.equal(inspect(path).version, 2);
      assert.equal(inspect(path).rows, 2);
    } finally {
      again.close();
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('a fresh file gets the whole schema at once, whichever opener comes first', async () => {
  const directory = await tempDir('agw-fresh-');
  try {
    const path = join(directory, 'agw.db');
    openUserKeyStore({ path }).close();
    const fresh = inspect(path);
    assert.equal(fresh.version, 2);
    assert.ok(fresh.columns.includes('key_id'));
    const database = new DatabaseSync(path, { readOnly: true });
    assert.equal(Number((database.prepare('PRAGMA auto_vacuum').get() as { auto_vacuum: number }).auto_vacuum), 2);
    database.close();
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
