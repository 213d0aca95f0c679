import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/errors/catalogue.ts';
import { createRecordingLogger } from '../../src/telemetry/log-port.ts';
import {
  openRequestLog,
  openRequestLogOrDisabled,
  type RequestLogEntry,
  type RequestLogOptions,
} from '../../src/telemetry/request-log.ts';
import { tempDirSync } from '../support/temp-dir.ts';

const dayMs = 86_400_000;
const hourMs = 3_600_000;
const start = Date.parse('2026-11-22T10:00:00Z');

function databasePath(): string {
  return path.join(tempDirSync('agw-request-log-'), 'agw.db');
}

function open(file: string, clock: { now: number }, overrides: Partial<RequestLogOptions> = {}) {
  return openRequestLog({
    path: file,
    now: () => clock.now,
    batch: { intervalMs: 0, maxRows: 200 },
    ...overrides,
  });
}

function entry(overrides: Partial<RequestLogEntry> = {}): RequestLogEntry {
  return {
    protocol: 'openai',
    route: '/v1/chat/completions',
    method: 'POST',
    status: 200,
    totalMs: 120,
    upstreamMs: 100,
    attempts: 1,
    clientModel: 'gpt-4o',
    mappedModel: 'gemini-2.5-pro',
    accountId: 'acc-1',
    inputTokens: 10,
    outputTokens: 20,
    cachedTokens: 0,
    ...overrides,
  };
}

describe('request log', () => {
  test('a streamed and a failed request are stored and found by filters, newest first', () => {
    const clock = { now: start };
    const log = open(databasePath(), clock);
    log.record(
      entry({
        id: 'stream-1',
        time: start,
        stream: true,
        protocol: 'anthropic',
        route: '/v1/messages',
        outputTokens: 50,
      }),
    );
    log.record(
      entry({
        id: 'fail-1',
        time: start + 1000,
        status: 429,
        errorCode: 'AGW_ALL_ACCOUNTS_LIMITED',
        accountId: 'acc-2',
        attempts: 3,
        inputTokens: null,
        outputTokens: null,
      }),
    );
    log.record(
      entry({
        id: 'broken-1',
        time: start + 2000,
        stream: true,
        errorCode: 'AGW_UPSTREAM_STREAM_BROKEN',
        protocol: 'gemini',
      }),
    );
    assert.equal(log.stats().queued, 3);
    assert.equal(log.count(), 3);

    const all = log.query();
    assert.deepEqual(
      all.map((row) => row.id),
      ['broken-1', 'fail-1', 'stream-1'],
    );
    const streamed = all.find((row) => row.id === 'stream-1')!;
    assert.equal(streamed.stream, true);
    assert.equal(streamed.protocol, 'anthropic');
    assert.equal(streamed.outputTokens, 50);
    assert.equal(streamed.upstreamMs, 100);
    const failed = all.find((row) => row.id === 'fail-1')!;
    assert.deepEqual(
      {
        status: failed.status,
        errorCode: failed.errorCode,
        attempts: failed.attempts,
        inputTokens: failed.inputTokens,
      },
      { status: 429, errorCode: 'AGW_ALL_ACCOUNTS_LIMITED', attempts: 3, inputTokens: null },
    );

    assert.deepEqual(
      log.query({ outcome: 'error' }).map((row) => row.id),
      ['broken-1', 'fail-1'],
    );
    assert.deepEqual(
      log.query({ outcome: 'success' }).map((row) => row.id),
      ['stream-1'],
    );
    assert.deepEqual(
      log.query({ protocol: 'anthropic' }).map((row) => row.id),
      ['stream-1'],
    );
    assert.deepEqual(
      log.query({ accountId: 'acc-2' }).map((row) => row.id),
      ['fail-1'],
    );
    assert.deepEqual(
      log.query({ errorCode: 'AGW_UPSTREAM_STREAM_BROKEN' }).map((row) => row.id),
      ['broken-1'],
    );
    assert.equal(log.query({ model: 'gemini-2.5-pro' }).length, 3);
    assert.equal(log.query({ model: 'gpt-4o' }).length, 3);
    assert.equal(log.query({ model: 'other' }).length, 0);
    assert.deepEqual(
      log.query({ since: start + 1000, until: start + 2000 }).map((row) => row.id),
      ['fail-1'],
    );
    assert.deepEqual(
      log.query({ limit: 1, offset: 1 }).map((row) => row.id),
      ['fail-1'],
    );
    assert.equal(log.query({ limit: 1_000_000 }).length, 3);
    assert.equal(log.count({ outcome: 'error' }), 2);
    log.close();
  });

  test('one flush writes every queued row in one transaction', () => {
    const clock = { now: start };
    const log = open(databasePath(), clock, { batch: { intervalMs: 0, maxRows: 50 } });
    for (let index = 0; index < 500; index += 1) log.record(entry({ id: `r${index}`, time: start + index }));
    assert.equal(log.stats().written, 0);
    assert.equal(log.flush(), 500);
    assert.deepEqual(log.stats(), { queued: 0, dropped: 0, written: 500, transactions: 1, failedWrites: 0 });
    assert.equal(log.flush(), 0);
    assert.equal(log.count(), 500);
    log.close();
  });

  test('a full queue drops the oldest rows and counts them', () => {
    const clock = { now: start };
    const log = open(databasePath(), clock, { batch: { intervalMs: 0, maxQueue: 10 } });
    for (let index = 0; index < 25; index += 1) log.record(entry({ id: `r${index}`, time: start + index }));
    assert.equal(log.stats().dropped, 15);
    assert.equal(log.flush(), 10);
    assert.equal(log.query({ limit: 100 }).at(-1)?.id, 'r15');
    log.close();
  });

  test('a timer started by the first queued row writes it intervalMs later, without anyone calling flush', (context) => {
    context.mock.timers.enable({ apis: ['setTimeout'] });
    const log = openRequestLog({ path: databasePath(), batch: { intervalMs: 250, maxRows: 1000 } });
    context.mock.timers.tick(1_000);
    log.record(entry());
    context.mock.timers.tick(100);
    log.record(entry());
    context.mock.timers.tick(149);
    assert.equal(log.stats().written, 0);
    context.mock.timers.tick(1);
    assert.equal(log.stats().written, 2);
    log.record(entry());
    context.mock.timers.tick(250);
    assert.equal(log.stats().written, 3);
    log.close();
  });

  test('retention by age really deletes, in ms', () => {
    const clock = { now: start };
    const file = databasePath();
    const log = open(file, clock, { retention: { maxAgeDays: 30, maxRows: 1000 } });
    log.record(entry({ id: 'old', time: start - 31 * dayMs }));
    log.record(entry({ id: 'edge', time: start - 30 * dayMs + 1 }));
    log.record(entry({ id: 'new', time: start - dayMs }));
    assert.equal(log.count(), 3);
    assert.deepEqual(log.prune(), { deletedByAge: 1, deletedByCount: 0 });
    assert.equal(log.count(), 2);
    clock.now += 2;
    assert.deepEqual(log.prune(), { deletedByAge: 1, deletedByCount: 0 });
    assert.deepEqual(
      log.query().map((row) => row.id),
      ['new'],
    );
    log.close();
  });

  test('retention by row count keeps the newest rows', () => {
    const clock = { now: start };
    const log = open(databasePath(), clock, { retention: { maxAgeDays: 30, maxRows: 100 } });
    for (let index = 0; index < 250; index += 1) log.record(entry({ id: `r${index}`, time: start + index }));
    assert.equal(log.count(), 250);
    assert.deepEqual(log.prune(), { deletedByAge: 0, deletedByCount: 150 });
    assert.equal(log.count(), 100);
    assert.equal(log.query({ limit: 1000 }).at(-1)?.id, 'r150');
    log.close();
  });

  test('retention also runs at open and after writes once its interval passed', () => {
    const clock = { now: start };
    const file = databasePath();
    const first = open(file, clock, { retention: { maxAgeDays: 1, maxRows: 1000, intervalMs: hourMs } });
    first.record(entry({ id: 'a', time: start }));
    first.close();
    clock.now = start + 2 * dayMs;
    const second = open(file, clock, { retention: { maxAgeDays: 1, maxRows: 1000, intervalMs: hourMs } });
    assert.equal(second.count(), 0);
    second.record(entry({ id: 'b', time: clock.now }));
    second.flush();
    clock.now += 2 * dayMs;
    second.record(entry({ id: 'c', time: clock.now }));
    second.flush();
    assert.deepEqual(
      second.query().map((row) => row.id),
      ['c'],
    );
    second.close();
  });

  test('usage by account, model, hour and day', () => {
    const clock = { now: start };
    const log = open(databasePath(), clock);
    log.record(entry({ time: start, accountId: 'acc-1', mappedModel: 'm-a', inputTokens: 10, outputTokens: 1 }));
    log.record(
      entry({ time: start + 10 * 60_000, accountId: 'acc-1', mappedModel: 'm-b', inputTokens: 20, outputTokens: 2 }),
    );
    log.record(
      entry({
        time: start + hourMs,
        accountId: 'acc-2',
        mappedModel: 'm-a',
        inputTokens: 100,
        outputTokens: 10,
        cachedTokens: 5,
      }),
    );
    log.record(
      entry({
        time: start + dayMs,
        accountId: 'acc-2',
        mappedModel: 'm-a',
        status: 500,
        errorCode: 'AGW_UPSTREAM_SERVER_ERROR',
        inputTokens: null,
        outputTokens: null,
      }),
    );

    assert.deepEqual(
      log
        .usage({ groupBy: 'account' })
        .map(({ key, requests, errors, inputTokens, outputTokens, cachedTokens, totalTokens }) => ({
          key,
          requests,
          errors,
          inputTokens,
          outputTokens,
          cachedTokens,
          totalTokens,
        })),
      [
        { key: 'acc-2', requests: 2, errors: 1, inputTokens: 100, outputTokens: 10, cachedTokens: 5, totalTokens: 110 },
        { key: 'acc-1', requests: 2, errors: 0, inputTokens: 30, outputTokens: 3, cachedTokens: 0, totalTokens: 33 },
      ],
    );
    assert.deepEqual(
      log.usage({ groupBy: 'model' }).map((row) => [row.key, row.requests, row.totalTokens]),
      [
        ['m-a', 3, 121],
        ['m-b', 1, 22],
      ],
    );
    assert.deepEqual(
      log.usage({ groupBy: 'hour' }).map((row) => [row.key, row.bucketStart, row.requests, row.inputTokens]),
      [
        ['2026-11-22T10:00Z', start, 2, 30],
        ['2026-11-22T11:00Z', start + hourMs, 1, 100],
        ['2026-11-23T10:00Z', start + dayMs, 1, 0],
      ],
    );
    assert.deepEqual(
      log.usage({ groupBy: 'day' }).map((row) => [row.key, row.requests, row.outputTokens]),
      [
        ['2026-11-22', 3, 13],
        ['2026-11-23', 1, 0],
      ],
    );
    assert.deepEqual(
      log.usage({ groupBy: 'day', since: start + hourMs, until: start + dayMs }).map((row) => [row.key, row.requests]),
      [['2026-11-22', 1]],
    );
    log.close();
  });

  test('rows survive closing and reopening', () => {
    const clock = { now: start };
    const file = databasePath();
    const first = open(file, clock);
    first.record(entry({ id: 'kept', time: start }));
    first.close();
    const second = open(file, clock);
    assert.deepEqual(
      second.query().map((row) => row.id),
      ['kept'],
    );
    second.close();
  });

  test('a file that is not a database gives a clear AGW_STORE_IO error', () => {
    const file = databasePath();
    fs.writeFileSync(file, 'this is not a sqlite database, just text '.repeat(200));
    assert.throws(
      () => open(file, { now: start }),
      (error: unknown) =>
        GatewayError.is(error) &&
        error.code === 'AGW_STORE_IO' &&
        error.message.includes(file) &&
        /cannot be opened/.test(error.message),
    );
  });

  test('an unopenable path gives a disabled log and one error line, not a crash', () => {
    const directory = tempDirSync('agw-request-log-');
    const logger = createRecordingLogger();
    const log = openRequestLogOrDisabled({ path: path.join(directory, 'missing', 'deeper', 'agw.db'), logger });
    assert.equal(log.disabled, true);
    log.record(entry());
    assert.deepEqual(log.query(), []);
    assert.equal(logger.lines.length, 1);
    assert.equal(logger.lines[0]!.level, 'error');
    assert.equal(logger.lines[0]!.fields['code'], 'AGW_STORE_IO');
    log.close();
  });

  test('canaries and emails never reach the stored rows', () => {
    const clock = { now: start };
    const file = databasePath();
    const log = open(file, clock);
    log.record(
      entry({
        route: '/v1beta/models/gemini-pro:streamGenerateContent?key=sk-canary-api-key-91b2&alt=sse',
        clientModel: 'model 1//canary-refresh-token-7f3a',
        accountId: 'someone@example.com',
        errorCode: 'failed with sk-canary-api-key-91b2',
      }),
    );
    log.close();
    const bytes =
      fs.readFileSync(file).toString('latin1') +
      (fs.existsSync(`${file}-wal`) ? fs.readFileSync(`${file}-wal`).toString('latin1') : '');
    const reopened = open(file, clock);
    const stored = JSON.stringify(reopened.query());
    reopened.close();
    for (const secret of ['sk-canary-api-key-91b2', '1//canary-refresh-token-7f3a', 'someone@example.com']) {
      assert.ok(!stored.includes(secret), `${secret} in rows`);
      assert.ok(!bytes.includes(secret), `${secret} in file`);
    }
    assert.ok(stored.includes('/v1beta/models/gemini-pro:streamGenerateContent'));
  });
});
