import assert from 'node:assert/strict';
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/errors/catalogue.ts';
import { openAccountStore } from '../../src/store/account-store.ts';
import { createRecordingLogger } from '../../src/telemetry/log-port.ts';
import { fakeClock, makeDataDir, sequentialIds, token } from './helpers.ts';

/** Three accounts whose rebuild order (last_used desc, then email) differs from their creation order. */
async function seeded(): Promise<{ dataDir: string; ids: string[] }> {
  const dataDir = await makeDataDir();
  const clock = fakeClock();
  const store = openAccountStore(dataDir, { now: clock.now, randomId: sequentialIds() });
  await store.upsert({ email: 'c@x', token: token('c', 'rc') });
  clock.advance(100);
  await store.upsert({ email: 'b@x', token: token('b', 'rb') });
  await store.upsert({ email: 'a@x', token: token('a', 'ra') });
  // last_used: c=0, b=100, a=100 → rebuild order a, b (email asc at equal time), then c.
  return { dataDir, ids: ['id-0003', 'id-0002', 'id-0001'] };
}

async function backups(dataDir: string): Promise<string[]> {
  return (await readdir(dataDir)).filter((name) => name.startsWith('accounts.json.corrupt-'));
}

describe('index self-repair', () => {
  const damaged: Array<{ name: string; content: Buffer | undefined; backup: boolean; log: RegExp }> = [
    { name: 'missing', content: undefined, backup: false, log: /index file not found/i },
    { name: 'empty', content: Buffer.alloc(0), backup: false, log: /index is empty/i },
    { name: 'NUL bytes only', content: Buffer.alloc(64), backup: true, log: /index is empty/i },
    { name: 'BOM and whitespace', content: Buffer.from('\uFEFF  \n', 'utf8'), backup: true, log: /index is empty/i },
    {
      name: 'truncated JSON',
      content: Buffer.from('{"version":"2.0","accounts":[{"id":'),
      backup: true,
      log: /failed to parse/i,
    },
    { name: 'wrong shape', content: Buffer.from('{"accounts":"nope"}'), backup: true, log: /failed to parse/i },
  ];
  for (const { name, content, backup, log } of damaged) {
    test(`${name} → rebuilt from accounts/*.json in last_used desc, email asc order`, async () => {
      const { dataDir, ids } = await seeded();
      const indexFile = join(dataDir, 'accounts.json');
      if (content === undefined) await import('node:fs/promises').then((fs) => fs.rm(indexFile));
      else await writeFile(indexFile, content);
      const logger = createRecordingLogger();
      const store = openAccountStore(dataDir, { logger, now: fakeClock(1_800_000_000).now, randomId: () => 'r1' });
      const { accounts, problems } = await store.list();
      assert.deepEqual(
        accounts.map((account) => account.id),
        ids,
      );
      assert.deepEqual(problems, []);
      const rebuilt = JSON.parse(await readFile(indexFile, 'utf8'));
      assert.deepEqual(
        rebuilt.accounts.map((entry: { id: string }) => entry.id),
        ids,
      );
      assert.equal(rebuilt.current_account_id, ids[0]);
      assert.equal(rebuilt.version, '2.0');
      assert.equal((await stat(indexFile)).mode & 0o777, 0o600);
      assert.ok(logger.lines.some((line) => log.test(line.message)));
      assert.ok(logger.lines.some((line) => /rebuilt the account index.*3 accounts recovered/i.test(line.message)));
      const kept = await backups(dataDir);
      if (backup) {
        assert.deepEqual(kept, ['accounts.json.corrupt-1800000000-r1']);
        assert.deepEqual(await readFile(join(dataDir, kept[0] ?? '')), content);
        assert.equal((await stat(join(dataDir, kept[0] ?? ''))).mode & 0o777, 0o600);
      } else {
        assert.deepEqual(kept, []);
      }
    });
  }

  test('a BOM before a valid index is accepted as it is (no rebuild, order kept)', async () => {
    const { dataDir } = await seeded();
    const indexFile = join(dataDir, 'accounts.json');
    const original = await readFile(indexFile);
    await writeFile(indexFile, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), original]));
    const { accounts } = await openAccountStore(dataDir).list();
    assert.deepEqual(
      accounts.map((account) => account.id),
      ['id-0001', 'id-0002', 'id-0003'],
    );
    assert.deepEqual(await backups(dataDir), []);
  });

  test('a fresh, empty data directory is listed as empty and nothing is written', async () => {
    const dataDir = await makeDataDir();
    const { accounts, problems } = await openAccountStore(dataDir).list();
    assert.deepEqual(accounts, []);
    assert.deepEqual(problems, []);
    assert.deepEqual(await readdir(dataDir), []);
  });

  test('the index is repaired under the lock before a write (upsert on a corrupt index)', async () => {
    const { dataDir } = await seeded();
    await writeFile(join(dataDir, 'accounts.json'), '{{{');
    const store = openAccountStore(dataDir, { randomId: sequentialIds('new') });
    const { outcome } = await store.upsert({ email: 'a@x', token: token('a2', 'ra') });
    assert.equal(outcome, 'updated', 'the existing account was found through the rebuilt index');
    assert.equal((await store.list()).accounts.length, 3);
    assert.equal((await backups(dataDir)).length, 1);
  });
});

describe('corrupt and stray account files', () => {
  test('a corrupt account file is skipped, reported by name, never rewritten; writes to it refuse', async () => {
    const { dataDir } = await seeded();
    const badFile = join(dataDir, 'accounts', 'id-0002.json');
    const bad = Buffer.from('{"id":"id-0002","email":"b@x","token":{"refresh_token":"1//SECRET-CANARY"');
    await writeFile(badFile, bad);
    const logger = createRecordingLogger();
    const store = openAccountStore(dataDir, { logger });
    const { accounts, problems } = await store.list();
    assert.deepEqual(
      accounts.map((account) => account.id),
      ['id-0001', 'id-0003'],
    );
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.file, 'accounts/id-0002.json');
    assert.match(problems[0]?.message ?? '', /not valid JSON/);
    const isCorrupt = (error: unknown) => GatewayError.is(error) && error.code === 'AGW_ACCOUNT_FILE_CORRUPT';
    await assert.rejects(store.get('id-0002'), isCorrupt);
    await assert.rejects(store.proxyDisable('id-0002'), isCorrupt);
    await assert.rejects(store.upsert({ email: 'b@x', token: token('b2', 'rb2') }), isCorrupt);
    // Rebuilding the index skips it too.
    await writeFile(join(dataDir, 'accounts.json'), 'garbage');
    const rebuilt = await store.list();
    assert.equal(rebuilt.accounts.length, 2);
    assert.deepEqual(await readFile(badFile), bad, 'left byte-identical');
    const everything = JSON.stringify(logger.lines) + JSON.stringify(problems);
    assert.equal(everything.includes('SECRET-CANARY'), false, 'no file content in logs or problems');
  });

  test('a schema-invalid file and a file whose id does not match its name are reported', async () => {
    const { dataDir } = await seeded();
    await writeFile(join(dataDir, 'accounts', 'id-0001.json'), JSON.stringify({ id: 'id-0001', email: 'a@x' }));
    const copy = JSON.parse(await readFile(join(dataDir, 'accounts', 'id-0002.json'), 'utf8'));
    await writeFile(join(dataDir, 'accounts', 'copied.json'), JSON.stringify(copy));
    const { accounts, problems } = await openAccountStore(dataDir).list();
    assert.deepEqual(
      accounts.map((account) => account.id),
      ['id-0002', 'id-0003'],
    );
    assert.deepEqual(problems.map((problem) => problem.file).sort(), ['accounts/copied.json', 'accounts/id-0001.json']);
    assert.match(problems.find((problem) => problem.file === 'accounts/id-0001.json')?.message ?? '', /token/);
  });

  test('an index entry without a file is skipped and reported; the index is not pruned by reading', async () => {
    const { dataDir } = await seeded();
    await import('node:fs/promises').then((fs) => fs.rm(join(dataDir, 'accounts', 'id-0003.json')));
    const { accounts, problems } = await openAccountStore(dataDir).list();
    assert.equal(accounts.length, 2);
    assert.deepEqual(problems, [
      { file: 'accounts/id-0003.json', message: 'listed in accounts.json but the file is missing' },
    ]);
    const index = JSON.parse(await readFile(join(dataDir, 'accounts.json'), 'utf8'));
    assert.equal(index.accounts.length, 3);
  });

  test('temp files are never taken for accounts; stale ones are swept, recent ones left alone', async () => {
    const { dataDir } = await seeded();
    const content = await readFile(join(dataDir, 'accounts', 'id-0001.json'));
    const stale = join(dataDir, 'accounts', 'id-0001.json.tmp.00000000-0000-4000-8000-000000000001');
    const fresh = join(dataDir, 'accounts', 'id-0001.json.tmp.00000000-0000-4000-8000-000000000002');
    const staleIndex = join(dataDir, 'accounts.json.tmp.00000000-0000-4000-8000-000000000003');
    await writeFile(stale, content);
    await writeFile(fresh, content.subarray(0, 10));
    await writeFile(staleIndex, 'partial');
    const old = new Date(Date.now() - 10 * 60_000);
    await utimes(stale, old, old);
    await utimes(staleIndex, old, old);
    const store = openAccountStore(dataDir);
    const listed = await store.list();
    assert.equal(listed.accounts.length, 3);
    assert.deepEqual(listed.problems, []);
    await store.proxyDisable('id-0001');
    const names = await readdir(join(dataDir, 'accounts'));
    assert.equal(names.includes('id-0001.json.tmp.00000000-0000-4000-8000-000000000001'), false);
    assert.equal(names.includes('id-0001.json.tmp.00000000-0000-4000-8000-000000000002'), true);
    assert.equal((await readdir(dataDir)).includes('accounts.json.tmp.00000000-0000-4000-8000-000000000003'), false);
  });

  test('an unreadable accounts path surfaces as AGW_STORE_IO', async () => {
    const dataDir = await makeDataDir();
    await writeFile(join(dataDir, 'accounts'), 'not a directory');
    const store = openAccountStore(dataDir);
    await assert.rejects(
      store.upsert({ email: 'a@x', token: token('a', 'r') }),
      (error: unknown) => GatewayError.is(error) && error.code === 'AGW_STORE_IO',
    );
  });

  test('re-adding an account whose file vanished recreates it under the same id', async () => {
    const { dataDir } = await seeded();
    await import('node:fs/promises').then((fs) => fs.rm(join(dataDir, 'accounts', 'id-0002.json')));
    const logger = createRecordingLogger();
    const store = openAccountStore(dataDir, { logger, randomId: sequentialIds('new') });
    const { account, outcome } = await store.upsert({ email: 'b@x', token: token('b2', 'rb2') });
    assert.equal(outcome, 'added');
    assert.equal(account.id, 'id-0002');
    assert.ok(logger.lines.some((line) => /file missing, recreating/.test(line.message)));
    const { accounts, problems } = await store.list();
    assert.equal(accounts.length, 3);
    assert.deepEqual(problems, []);
  });

  test('an index entry with a path-like id is reported, never followed', async () => {
    const { dataDir } = await seeded();
    const index = JSON.parse(await readFile(join(dataDir, 'accounts.json'), 'utf8'));
    index.accounts.push({ id: '../../outside', email: 'evil@x', created_at: 1, last_used: 1 });
    await writeFile(join(dataDir, 'accounts.json'), JSON.stringify(index));
    const { accounts, problems } = await openAccountStore(dataDir).list();
    assert.equal(accounts.length, 3);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.file, 'accounts.json');
  });
});
