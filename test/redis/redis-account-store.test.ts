/**
 * The account store on a real redis-server: the same contract as the data directory (upsert by email, the seed
 * rule of re-enabling, compare-and-set under concurrent writers), unknown fields kept, changes announced to every
 * watcher, and moving accounts between a data directory and Redis.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { openAccountStore } from '../../src/store/account-store.ts';
import { openConfiguredStore } from '../../src/store/open-store.ts';
import { redisForTest } from '../support/redis.ts';
import { runCli } from '../support/run-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

const token = (refresh: string) => ({
  access_token: `at-${refresh}`,
  refresh_token: refresh,
  expires_in: 3599,
  expiry_timestamp: 2_000_000_000,
});

async function openShared(t: import('node:test').TestContext, url: string) {
  const dataDir = await tempDir();
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const opened = openConfiguredStore({ dataDir, redisUrl: url }, { mode: 'server' });
  t.after(() => opened.close());
  return opened;
}

test('upsert by email, disable, and re-add re-enables (the seed rule) on Redis', async (t) => {
  const redis = await redisForTest(t);
  if (redis === undefined) return;
  const { store } = await openShared(t, redis.url);
  const added = await store.upsert({ email: 'a@example.com', token: token('1//a') });
  assert.equal(added.outcome, 'added');
  await store.disable(added.account.id, 'invalid_grant: Token has been expired or revoked.', {
    ifRefreshToken: '1//a',
  });
  const disabled = await store.get('a@example.com');
  assert.equal(disabled.disabled, true);
  assert.match(disabled.disabled_reason ?? '', /^invalid_grant: /);
  const again = await store.upsert({ email: 'a@example.com', token: token('1//a-new') });
  assert.equal(again.outcome, 're-enabled');
  assert.equal(again.account.id, added.account.id);
  const stored = await store.get(added.account.id);
  assert.equal(stored.disabled, false);
  assert.equal(stored.disabled_reason, undefined);
  assert.equal((await store.list()).accounts.length, 1);
});

test('a disable guarded by an old refresh token changes nothing once the token was replaced', async (t) => {
  const redis = await redisForTest(t);
  if (redis === undefined) return;
  const { store } = await openShared(t, redis.url);
  const { account } = await store.upsert({ email: 'b@example.com', token: token('1//old') });
  await store.persistToken(account.id, { refresh_token: '1//new' }, { ifRefreshToken: '1//old' });
  const after = await store.disable(account.id, 'invalid_grant: stale', { ifRefreshToken: '1//old' });
  assert.equal(after.disabled, false);
  assert.equal((await store.get(account.id)).token.refresh_token, '1//new');
});

test('concurrent writers from two connections never lose an update (compare-and-set)', async (t) => {
  const redis = await redisForTest(t);
  if (redis === undefined) return;
  const first = await openShared(t, redis.url);
  const second = await openShared(t, redis.url);
  const { account } = await first.store.upsert({ email: 'c@example.com', token: token('1//c') });
  const writes = Array.from({ length: 40 }, (_, index) =>
    (index % 2 === 0 ? first.store : second.store).update(account.id, (draft) => {
      const tags = ((draft as Record<string, unknown>)['tags'] as string[] | undefined) ?? [];
      (draft as Record<string, unknown>)['tags'] = [...tags, `t${index}`];
    }),
  );
  await Promise.all(writes);
  const tags = ((await first.store.get(account.id)) as Record<string, unknown>)['tags'] as string[];
  assert.equal(tags.length, 40);
  assert.equal(new Set(tags).size, 40);
});

test('fields agw does not know (e.g. proxy_url) round-trip through Redis', async (t) => {
  const redis = await redisForTest(t);
  if (redis === undefined) return;
  const { store } = await openShared(t, redis.url);
  const { account } = await store.upsert({ email: 'd@example.com', token: token('1//d') });
  await store.update(account.id, (draft) => {
    (draft as Record<string, unknown>)['proxy_url'] = 'socks5://127.0.0.1:1080';
    (draft.token as Record<string, unknown>)['future_field'] = 7;
  });
  await store.proxyDisable(account.id, 'manual');
  const stored = (await store.get(account.id)) as Record<string, unknown>;
  assert.equal(stored['proxy_url'], 'socks5://127.0.0.1:1080');
  assert.equal((stored['token'] as Record<string, unknown>)['future_field'], 7);
  assert.equal(stored['proxy_disabled'], true);
});

test('every watcher hears of a change made through another connection', async (t) => {
  const redis = await redisForTest(t);
  if (redis === undefined) return;
  const writer = await openShared(t, redis.url);
  const reader = await openShared(t, redis.url);
  const { account } = await writer.store.upsert({ email: 'e@example.com', token: token('1//e') });
  await reader.redis?.connection.waitConnected(5_000);
  const heard = new Promise<string[] | 'all'>((resolve) => {
    const stop = reader.store.watch((change) => {
      stop();
      resolve(change.accountIds);
    });
  });
  // The subscription is asynchronous: write until it is heard (bounded).
  let result: string[] | 'all' | undefined;
  for (let round = 0; round < 50 && result === undefined; round += 1) {
    await writer.store.proxyDisable(account.id, `round ${round}`);
    result = await Promise.race([heard, new Promise<undefined>((resolve) => setTimeout(resolve, 100))]);
  }
  assert.deepEqual(result, [account.id]);
});

test('accounts move from a data directory to Redis and back, as they are', async (t) => {
  const redis = await redisForTest(t);
  if (redis === undefined) return;
  const source = await tempDir();
  const target = await tempDir();
  t.after(() => rm(source, { recursive: true, force: true }));
  t.after(() => rm(target, { recursive: true, force: true }));
  const files = openAccountStore(source);
  const first = await files.upsert({ email: 'f@example.com', token: token('1//f') });
  await files.disable(first.account.id, 'invalid_grant: gone');
  await files.upsert({ email: 'g@example.com', token: token('1//g') });
  const { store } = await openShared(t, redis.url);
  for (const account of (await files.list()).accounts) await store.importAccount(account);
  const shared = (await store.list()).accounts;
  assert.deepEqual(shared.map((account) => account.email).sort(), ['f@example.com', 'g@example.com']);
  assert.equal(shared.find((account) => account.email === 'f@example.com')?.id, first.account.id);
  assert.equal(shared.find((account) => account.email === 'f@example.com')?.disabled, true);
  const back = openAccountStore(target);
  for (const account of shared) await back.importAccount(account);
  assert.deepEqual((await back.list()).accounts.map((account) => account.email).sort(), [
    'f@example.com',
    'g@example.com',
  ]);
  // Importing again replaces, by email, instead of adding a second account.
  assert.equal(await store.importAccount(shared[0]!), 'replaced');
  assert.equal((await store.list()).accounts.length, 2);
});

test('agw accounts import --from-data-dir and agw accounts export move accounts through the CLI', async (t) => {
  const redis = await redisForTest(t);
  if (redis === undefined) return;
  const source = await tempDir();
  const target = await tempDir();
  t.after(() => rm(source, { recursive: true, force: true }));
  t.after(() => rm(target, { recursive: true, force: true }));
  const files = openAccountStore(source);
  const added = await files.upsert({ email: 'h@example.com', token: token('1//h') });
  await files.update(added.account.id, (draft) => {
    (draft as Record<string, unknown>)['proxy_url'] = 'http://127.0.0.1:3128';
  });
  const env = { AGW_REDIS_URL: redis.url };
  const imported = await runCli(['--data-dir', source, 'accounts', 'import', '--from-data-dir'], {
    env,
    mustSucceed: true,
  });
  assert.match(imported.stdout, /h@example\.com: added/);
  const { store } = await openShared(t, redis.url);
  const shared = (await store.get('h@example.com')) as Record<string, unknown>;
  assert.equal(shared['id'], added.account.id);
  assert.equal(shared['proxy_url'], 'http://127.0.0.1:3128');
  // With the Redis URL set, the CLI lists what Redis holds.
  const listed = await runCli(['--data-dir', target, 'accounts', 'list', '--json'], { env, mustSucceed: true });
  assert.match(listed.stdout, /h@example\.com/);
  await runCli(['--data-dir', target, 'accounts', 'export'], { env, mustSucceed: true });
  const exported = (await openAccountStore(target).get('h@example.com')) as Record<string, unknown>;
  assert.equal(exported['proxy_url'], 'http://127.0.0.1:3128');
  // Without a Redis URL there is nothing to export from: a clear error, nothing written.
  const refused = await runCli(['--data-dir', target, 'accounts', 'export'], {});
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /agw\.redis_url/);
});

test('agw doctor with agw.redis_url counts the accounts Redis holds, and names a Redis that does not answer', async (t) => {
  const redis = await redisForTest(t);
  if (redis === undefined) return;
  const dataDir = await tempDir();
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const { store } = await openShared(t, redis.url);
  await store.upsert({ email: 'doctor@example.com', token: token('1//doctor') });
  interface Check {
    name: string;
    ok: boolean;
    detail: string;
    fix?: string;
  }
  const doctor = async (url: string): Promise<Check[]> => {
    const run = await runCli(['--data-dir', dataDir, 'doctor', '--json'], { env: { AGW_REDIS_URL: url } });
    return JSON.parse(run.stdout) as Check[];
  };
  const healthy = new Map((await doctor(redis.url)).map((check) => [check.name, check]));
  assert.equal(healthy.get('redis')?.ok, true, healthy.get('redis')?.detail);
  // The data directory is empty: one account can only have come from Redis.
  assert.match(healthy.get('accounts')?.detail ?? '', /^1 accounts, 1 active/);
  const unreachable = new Map((await doctor('redis://127.0.0.1:1')).map((check) => [check.name, check]));
  assert.equal(unreachable.get('redis')?.ok, false);
  assert.match(unreachable.get('redis')?.fix ?? '', /agw\.redis_url/);
  assert.equal(unreachable.get('accounts')?.ok, false, 'no accounts can be read without Redis');
});
