import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { createRecordingLogger } from '../../src/telemetry/log-port.ts';
import { openRequestLog } from '../../src/telemetry/request-log.ts';
import {
  openResponseStore,
  openResponseStoreOrDisabled,
  type ResponseStoreOptions,
  type StoredResponse,
} from '../../src/telemetry/response-store.ts';

const dayMs = 86_400_000;
const start = Date.parse('2026-11-22T10:00:00Z');

function databasePath(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'agw-response-store-')), 'agw.db');
}

function open(file: string, clock: { now: number }, overrides: Partial<ResponseStoreOptions> = {}) {
  return openResponseStore({ path: file, now: () => clock.now, flushIntervalMs: 0, ...overrides });
}

function stored(id: string, createdAt: number, text = 'hello'): StoredResponse {
  return {
    id,
    createdAt,
    model: 'gemini-3-flash',
    response: { id, object: 'response', output_text: text },
    items: [{ role: 'user', content: text }],
  };
}

describe('response store', () => {
  test('a saved response is found at once (from the queue) and after a flush and a reopen', () => {
    const file = databasePath();
    const clock = { now: start };
    const store = open(file, clock);
    store.save(stored('resp_1', start));
    assert.equal(store.get('resp_1')?.model, 'gemini-3-flash');
    assert.equal(store.flush(), 1);
    assert.deepEqual(store.get('resp_1'), stored('resp_1', start));
    store.close();
    const reopened = open(file, clock);
    assert.deepEqual(reopened.get('resp_1')?.items, [{ role: 'user', content: 'hello' }]);
    assert.equal(reopened.get('resp_missing'), undefined);
    reopened.close();
  });

  test('a timer started by the first save writes the queue flushIntervalMs later', (context) => {
    context.mock.timers.enable({ apis: ['setTimeout'] });
    const file = databasePath();
    const store = open(file, { now: start }, { flushIntervalMs: 250 });
    const rowsOnDisk = (): number => {
      const database = new DatabaseSync(file, { readOnly: true });
      try {
        return Number(
          (database.prepare('SELECT count(*) AS rows FROM stored_responses').get() as { rows: number }).rows,
        );
      } finally {
        database.close();
      }
    };
    context.mock.timers.tick(1_000);
    store.save(stored('resp_1', start));
    context.mock.timers.tick(249);
    assert.equal(rowsOnDisk(), 0);
    context.mock.timers.tick(1);
    assert.equal(rowsOnDisk(), 1);
    store.close();
  });

  test('delete removes queued and written responses', () => {
    const store = open(databasePath(), { now: start });
    store.save(stored('resp_queued', start));
    store.save(stored('resp_written', start));
    store.flush();
    store.save(stored('resp_queued_2', start));
    assert.equal(store.delete('resp_queued_2'), true);
    assert.equal(store.delete('resp_written'), true);
    assert.equal(store.delete('resp_written'), false);
    assert.equal(store.get('resp_written'), undefined);
    assert.equal(store.get('resp_queued_2'), undefined);
    store.close();
  });

  test('retention: by age (also before pruning), by count and by total size', () => {
    const clock = { now: start };
    const byAge = open(databasePath(), clock, { retention: { maxAgeDays: 1 } });
    byAge.save(stored('resp_old', start));
    byAge.flush();
    clock.now = start + 2 * dayMs;
    assert.equal(byAge.get('resp_old'), undefined, 'expired responses are not served');
    byAge.close();

    const byCount = open(databasePath(), { now: start }, { retention: { maxRows: 2 } });
    for (const [index, id] of ['resp_a', 'resp_b', 'resp_c'].entries()) {
      byCount.save(stored(id, start + index));
      byCount.flush();
    }
    assert.deepEqual(
      ['resp_a', 'resp_b', 'resp_c'].map((id) => byCount.get(id) !== undefined),
      [false, true, true],
    );
    byCount.close();

    const bySize = open(databasePath(), { now: start }, { retention: { maxBytes: 5000 } });
    for (const [index, id] of ['resp_1', 'resp_2', 'resp_3'].entries()) {
      bySize.save(stored(id, start + index, 'x'.repeat(1000)));
    }
    bySize.flush();
    assert.deepEqual(
      ['resp_1', 'resp_2', 'resp_3'].map((id) => bySize.get(id) !== undefined),
      [false, true, true],
      'the newest responses that fit in 5000 bytes stay',
    );
    bySize.close();
  });

  test('shares agw.db with the request log: its own table beside request_log', () => {
    const file = databasePath();
    const log = openRequestLog({ path: file, batch: { intervalMs: 0 } });
    const store = open(file, { now: start });
    store.save(stored('resp_1', start));
    store.flush();
    log.close();
    store.close();
    const database = new DatabaseSync(file);
    const tables = (
      database.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{
        name: string;
      }>
    ).map((row) => row.name);
    database.close();
    assert.ok(tables.includes('request_log') && tables.includes('stored_responses'), tables.join());
    assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
  });

  test('a file that is not a database gives a disabled store and one clear error, not a crash', () => {
    const file = databasePath();
    fs.writeFileSync(file, 'this is not sqlite '.repeat(100));
    const logger = createRecordingLogger();
    const store = openResponseStoreOrDisabled({ path: file, logger });
    assert.equal(store.disabled, true);
    store.save(stored('resp_1', start));
    assert.equal(store.get('resp_1'), undefined);
    assert.equal(logger.lines.filter((line) => line.level === 'error').length, 1);
  });
});
