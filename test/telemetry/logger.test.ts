import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { applyRetention, openDailyFile, parseLogFileName } from '../../src/telemetry/log-files.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { createSecretRegistry } from '../../src/telemetry/redaction.ts';
import { tempDirSync } from '../support/temp-dir.ts';

const refreshCanary = '1//canary-refresh-token-7f3a';
const apiKeyCanary = 'sk-canary-api-key-91b2';

function temporaryDirectory(): string {
  return tempDirSync('agw-telemetry-');
}

function touch(directory: string, name: string, bytes = 10): void {
  fs.writeFileSync(path.join(directory, name), 'x'.repeat(bytes));
}

function listing(directory: string): string[] {
  return fs.readdirSync(directory).sort();
}

describe('log file names', () => {
  test('only agw.log.<date>[.<part>] is agw’s', () => {
    assert.deepEqual(parseLogFileName('agw.log.2026-11-22'), {
      name: 'agw.log.2026-11-22',
      date: '2026-11-22',
      part: 0,
    });
    assert.equal(parseLogFileName('agw.log.2026-11-22.3')?.part, 3);
    for (const name of ['app.log.2026-11-22', 'agw.log', 'agw.log.2026-11-22.bak', 'agw.log.2026-13-45', 'x.txt']) {
      assert.equal(parseLogFileName(name), undefined, name);
    }
  });
});

describe('retention', () => {
  test('by age: deletes agw files whose day ended more than retentionDays ago, nothing else', () => {
    const directory = temporaryDirectory();
    for (const name of [
      'agw.log.2026-11-01',
      'agw.log.2026-11-14',
      'agw.log.2026-11-14.1',
      'agw.log.2026-11-15',
      'agw.log.2026-11-22',
      'app.log.2026-11-01',
      'notes.txt',
      'agw.log.2026-11-01.bak',
    ]) {
      touch(directory, name);
    }
    // now = 2026-11-22 12:00 UTC, 7 days: the 14th ended at 15th 00:00, which is 7.5 days ago → deleted;
    // the 15th ended 6.5 days ago → kept.
    const now = Date.parse('2026-11-22T12:00:00Z');
    const result = applyRetention(directory, { retentionDays: 7, maxTotalBytes: 1_000_000 }, now);
    assert.deepEqual(result.deleted.sort(), ['agw.log.2026-11-01', 'agw.log.2026-11-14', 'agw.log.2026-11-14.1']);
    assert.deepEqual(listing(directory), [
      'agw.log.2026-11-01.bak',
      'agw.log.2026-11-15',
      'agw.log.2026-11-22',
      'app.log.2026-11-01',
      'notes.txt',
    ]);
  });

  test('by size: oldest agw files go until the total is at most half the budget; the kept file stays', () => {
    const directory = temporaryDirectory();
    touch(directory, 'agw.log.2026-11-18', 300);
    touch(directory, 'agw.log.2026-11-19', 300);
    touch(directory, 'agw.log.2026-11-20', 300);
    touch(directory, 'agw.log.2026-11-21', 300);
    touch(directory, 'agw.log.2026-11-22', 100);
    touch(directory, 'app.log.2026-11-10', 5000);
    const now = Date.parse('2026-11-22T12:00:00Z');
    const result = applyRetention(directory, { retentionDays: 30, maxTotalBytes: 1000 }, now, 'agw.log.2026-11-22');
    // 1300 > 1000 → trim to ≤ 500: delete 18th (1000), 19th (700), 20th (400).
    assert.deepEqual(result.deleted, ['agw.log.2026-11-18', 'agw.log.2026-11-19', 'agw.log.2026-11-20']);
    assert.equal(result.keptBytes, 400);
    assert.deepEqual(listing(directory), ['agw.log.2026-11-21', 'agw.log.2026-11-22', 'app.log.2026-11-10']);
  });

  test('under budget and young: nothing is deleted', () => {
    const directory = temporaryDirectory();
    touch(directory, 'agw.log.2026-11-21', 100);
    const result = applyRetention(
      directory,
      { retentionDays: 7, maxTotalBytes: 1000 },
      Date.parse('2026-11-22T00:00:00Z'),
    );
    assert.deepEqual(result.deleted, []);
  });
});

describe('daily file', () => {
  test('switches file when the UTC date changes and cleans up at the switch', () => {
    const directory = temporaryDirectory();
    touch(directory, 'agw.log.2026-11-09');
    touch(directory, 'agw.log.2026-11-10');
    let now = Date.parse('2026-11-17T23:59:59Z');
    const file = openDailyFile({ directory, now: () => now, retentionDays: 7, maxTotalBytes: 1_000_000 });
    // At open the 9th ended 7d 23:59:59 ago → deleted; the 10th ended 6d 23:59:59 ago → kept.
    assert.deepEqual(listing(directory), ['agw.log.2026-11-10', 'agw.log.2026-11-17']);
    file.write('one\n');
    now += 2000;
    // After the switch the 10th ended 7d 00:00:01 ago → deleted by the cleanup the switch runs.
    file.write('two\n');
    file.close();
    assert.deepEqual(listing(directory), ['agw.log.2026-11-17', 'agw.log.2026-11-18']);
    assert.equal(fs.readFileSync(path.join(directory, 'agw.log.2026-11-17'), 'utf8'), 'one\n');
    assert.equal(fs.readFileSync(path.join(directory, 'agw.log.2026-11-18'), 'utf8'), 'two\n');
  });

  test('appends to the existing file of the day after a restart', () => {
    const directory = temporaryDirectory();
    const now = () => Date.parse('2026-11-22T08:00:00Z');
    const first = openDailyFile({ directory, now, retentionDays: 7, maxTotalBytes: 1_000_000 });
    first.write('a\n');
    first.close();
    const second = openDailyFile({ directory, now, retentionDays: 7, maxTotalBytes: 1_000_000 });
    second.write('b\n');
    second.close();
    assert.equal(fs.readFileSync(path.join(directory, 'agw.log.2026-11-22'), 'utf8'), 'a\nb\n');
  });

  test('a day that outgrows the budget moves to a new part and the full part is deleted', () => {
    const directory = temporaryDirectory();
    const now = () => Date.parse('2026-11-22T08:00:00Z');
    const file = openDailyFile({ directory, now, retentionDays: 7, maxTotalBytes: 100 });
    const line = `${'y'.repeat(39)}\n`;
    for (let index = 0; index < 4; index += 1) file.write(line);
    file.close();
    // 3 lines (120 bytes) → over budget with the current file > 50 bytes → part 1; part 0 then deleted.
    assert.deepEqual(listing(directory), ['agw.log.2026-11-22.1']);
    assert.equal(fs.readFileSync(path.join(directory, 'agw.log.2026-11-22.1'), 'utf8'), line);
  });
});

describe('createLogger', () => {
  const seedLines = [
    'Token 刷新失败 (a@x.com): invalid_grant: Token has been expired or revoked.，尝试下一个账号',
    'Disabling account due to invalid_grant (a@x.com): refresh_token likely revoked/expired',
  ];

  test('seed lines appear verbatim in the log file, rotated across a date change', () => {
    const directory = temporaryDirectory();
    let now = Date.parse('2026-11-21T23:59:59.500Z');
    const stdout: string[] = [];
    const logger = createLogger({
      level: 'info',
      pretty: false,
      logDir: directory,
      now: () => now,
      stdout: { write: (line) => stdout.push(line) },
    });
    logger.warn(seedLines[0]!);
    now += 1000;
    logger.warn(seedLines[1]!);
    logger.debug('not at info level');
    logger.close();
    const first = fs.readFileSync(path.join(directory, 'agw.log.2026-11-21'), 'utf8');
    const second = fs.readFileSync(path.join(directory, 'agw.log.2026-11-22'), 'utf8');
    assert.ok(first.includes(seedLines[0]!), first);
    assert.ok(second.includes(seedLines[1]!), second);
    assert.equal(JSON.parse(second.trim()).time, '2026-11-22T00:00:00.500Z');
    assert.equal(stdout.length, 2);
    assert.ok(!stdout.join('').includes('not at info level'));
  });

  test('pretty output is readable and keeps the message as written', () => {
    const stdout: string[] = [];
    const logger = createLogger({
      level: 'info',
      pretty: true,
      now: () => Date.parse('2026-11-22T10:11:12.345Z'),
      stdout: { write: (line) => stdout.push(line) },
    });
    logger.warn({ accountId: 'acc-1' }, seedLines[0]!);
    assert.equal(stdout[0], `10:11:12.345 WARN  ${seedLines[0]} accountId=acc-1\n`);
  });

  test('canaries never reach stdout or the file', () => {
    const directory = temporaryDirectory();
    const secrets = createSecretRegistry();
    secrets.register('opaque-registered-value-42');
    const stdout: string[] = [];
    const logger = createLogger({
      level: 'debug',
      pretty: false,
      logDir: directory,
      secrets,
      stdout: { write: (line) => stdout.push(line) },
    });
    logger.info({ refresh_token: refreshCanary, apiKey: apiKeyCanary }, 'top-level fields');
    logger.info({ headers: { authorization: `Bearer ${apiKeyCanary}`, 'x-api-key': apiKeyCanary } }, 'headers');
    logger.info({ request: { headers: { 'X-Goog-Api-Key': apiKeyCanary } } }, 'deep headers');
    logger.info({ account: { token: { refresh_token: refreshCanary, accessToken: 'ya29.whatever-abc' } } }, 'deep');
    logger.error({ err: new Error(`refresh failed: ${refreshCanary} opaque-registered-value-42`) }, 'error');
    logger.error(`message text with ${refreshCanary} and ${apiKeyCanary}`);
    logger.child({ refreshToken: refreshCanary }).info('child bindings');
    logger.info({ url: `/v1beta/models/m:generateContent?key=${apiKeyCanary}` }, 'url');
    logger.close();
    const written = stdout.join('') + fs.readFileSync(logger.currentLogFile()!, 'utf8');
    assert.equal(written.split('\n').filter(Boolean).length, 16);
    for (const secret of [refreshCanary, apiKeyCanary, 'opaque-registered-value-42', 'ya29.whatever-abc']) {
      assert.ok(!written.includes(secret), `${secret} leaked`);
    }
    assert.ok(written.includes('[REDACTED]'));
    assert.ok(written.includes('refresh failed'));
  });
});
