/**
 * WAL checkpoints of the request log run on a worker thread, never inside a write on the event loop: SQLite's own
 * automatic checkpoint (at 1,000 WAL pages, in the committing connection) held the gateway's event loop for
 * 20–50 ms on the benchmark machine (docs/performance.md). Shown by counts and file sizes, not timings.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { openRequestLog, type RequestLogEntry } from '../../src/telemetry/request-log.ts';
import { tempDirSync } from '../support/temp-dir.ts';

const row: RequestLogEntry = {
  protocol: 'openai',
  route: '/v1/chat/completions',
  method: 'POST',
  status: 200,
  totalMs: 12,
  upstreamMs: 10,
  attempts: 1,
  clientModel: 'gemini-3-flash',
  mappedModel: 'gemini-3-flash',
  accountId: '00000000-0000-4000-8000-000000000001',
  inputTokens: 10,
  outputTokens: 20,
  cachedTokens: 0,
};

/** SQLite's automatic checkpoint threshold, in pages. */
const autoCheckpointPages = 1000;

function pageSize(file: string): number {
  const reader = new DatabaseSync(file, { readOnly: true });
  try {
    return Number((reader.prepare('PRAGMA page_size').get() as { page_size: number }).page_size);
  } finally {
    reader.close();
  }
}

describe('request log checkpoints', () => {
  test('writes never checkpoint on the event loop: the WAL holds every frame until the checkpointer copies it', async () => {
    const file = path.join(tempDirSync('agw-checkpoint-'), 'agw.db');
    // The checkpointer's own timer never fires in this test; only the explicit request below checkpoints.
    const log = openRequestLog({ path: file, batch: { intervalMs: 0 }, checkpoint: { intervalMs: 3_600_000 } });
    try {
      let time = Date.parse('2026-12-04T10:00:00Z');
      for (let batch = 0; batch < 60; batch += 1) {
        for (let index = 0; index < 1000; index += 1) log.record({ ...row, id: `r-${batch}-${index}`, time: time++ });
        log.flush();
      }
      const walBytes = fs.statSync(`${file}-wal`).size;
      // An automatic checkpoint would have restarted the log near its 1,000-page threshold.
      assert.ok(
        walBytes > 3 * autoCheckpointPages * pageSize(file),
        `the WAL (${walBytes} bytes) kept every frame: no write checkpointed`,
      );
      assert.equal(log.stats().checkpoints, 0);

      await log.checkpoint();
      assert.equal(log.stats().checkpoints, 1);
      const other = new DatabaseSync(file);
      try {
        const state = other.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as { log: number; checkpointed: number };
        assert.equal(state.checkpointed, state.log, 'the worker had already copied every frame');
      } finally {
        other.close();
      }
      assert.equal(log.count(), 60_000);
    } finally {
      log.close();
    }
  });

  test('the checkpointer runs by itself on its interval', async () => {
    const file = path.join(tempDirSync('agw-checkpoint-'), 'agw.db');
    const log = openRequestLog({ path: file, batch: { intervalMs: 0 }, checkpoint: { intervalMs: 5 } });
    try {
      log.record({ ...row, id: 'one', time: Date.parse('2026-12-04T10:00:00Z') });
      log.flush();
      for (let wait = 0; wait < 400 && log.stats().checkpoints < 2; wait += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.ok(log.stats().checkpoints >= 2);
    } finally {
      log.close();
    }
  });

  test('checkpoint: { intervalMs: 0 } leaves checkpoints to SQLite (no worker)', async () => {
    const file = path.join(tempDirSync('agw-checkpoint-'), 'agw.db');
    const log = openRequestLog({ path: file, batch: { intervalMs: 0 }, checkpoint: { intervalMs: 0 } });
    try {
      await log.checkpoint();
      assert.equal(log.stats().checkpoints, 0);
    } finally {
      log.close();
    }
  });
});
