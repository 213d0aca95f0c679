/**
 * Three gateways on one Redis when things break: a gateway killed (SIGKILL) in the middle of a refresh of a
 * rotating refresh token loses no token and holds nobody up past its lease; Redis stopped and started again in
 * the middle of a run: requests keep being served from the last known state, /healthz says so, the writes made
 * meanwhile reach Redis and the other gateways once it is back, nothing stored is lost.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RecordedCall } from '../../src/fake-google/types.ts';
import { runCli } from '../support/run-cli.ts';
import { chat, generateCalls, health, refreshCalls, startCluster, until } from './cluster.ts';

const expired = (): number => Math.floor(Date.now() / 1000) - 60;

test('kill -9 of a gateway mid-refresh loses no rotated refresh token', async (t) => {
  const cluster = await startCluster(t);
  if (cluster === undefined) return;
  const email = 'rotating@example.com';
  const account = await cluster.addAccount(email, '1//rotating-0');
  cluster.fake.control.rotateRefreshTokens(email, true);
  await cluster.shared.store.persistToken(account.id, { expiry_timestamp: expired() });
  const [first, second, third] = await cluster.start();
  assert.ok(first && second && third);

  // Gateway one takes the lease and calls Google, which takes its time; it is killed while the call is open.
  cluster.fake.control.script({
    match: { endpoint: 'token', email },
    times: 1,
    action: { kind: 'latency', ms: 3_000 },
  });
  const tokenCall = new Promise<void>((resolve) => {
    const onCall = (call: RecordedCall): void => {
      if (call.endpoint !== 'token' || call.email !== email) return;
      cluster.fake.control.events.off('call', onCall);
      resolve();
    };
    cluster.fake.control.events.on('call', onCall);
  });
  const orphan = chat(first).catch(() => undefined);
  await tokenCall;
  await first.kill();
  await orphan;

  // Gateway two waits out the dead gateway's lease, refreshes (Google rotates the token), stores it, answers.
  assert.equal((await chat(second)).status, 200);
  const current = cluster.fake.control.account(email)?.refreshToken();
  assert.ok(current !== undefined && current !== '1//rotating-0', 'Google rotated the token');
  assert.equal(
    (await cluster.shared.store.get(account.id)).token.refresh_token,
    current,
    'the rotated token is in Redis',
  );

  // Gateway two is killed right after it answered: the token it used was stored before it used it.
  await second.kill();
  // An expired access token in Redis (a new value, so gateway three's reload takes it): its next use refreshes
  // with the refresh token Redis holds.
  await cluster.shared.store.persistToken(account.id, { access_token: 'ya29.expired', expiry_timestamp: expired() });
  const refreshesBefore = refreshCalls(cluster.fake, email);
  // Gateway two may have died holding the lease (released after its write): gateway three waits it out (10 s).
  await until(
    async () => (await chat(third)).status === 200 && refreshCalls(cluster.fake, email) > refreshesBefore,
    'gateway three refreshing with the stored token',
    60_000,
  );
  const stored = await cluster.shared.store.get(account.id);
  assert.equal(stored.disabled, false, 'no invalid_grant: the stored refresh token was the live one');
  assert.equal(stored.token.refresh_token, cluster.fake.control.account(email)?.refreshToken());
  assert.doesNotMatch(third.output(), /invalid_grant/);
});

test('Redis stopped and started mid-run: served from the last known state, reported, nothing lost', async (t) => {
  const cluster = await startCluster(t);
  if (cluster === undefined) return;
  await cluster.addAccount('spent@example.com', '1//spent');
  await cluster.addAccount('fresh@example.com', '1//fresh');
  const gateways = await cluster.start();
  const [first, second, third] = gateways;
  assert.ok(first && second && third);
  for (const gateway of gateways) assert.equal((await chat(gateway)).status, 200);
  assert.equal((await health(first))['status'], 'ok');

  await cluster.redis.stop();
  await until(async () => (await health(first))['status'] === 'degraded', 'gateway one reporting the outage');
  const report = (await health(first))['shared_store'] as Record<string, unknown>;
  assert.equal(report['connected'], false);
  assert.equal(typeof report['down_since'], 'string');
  // Still serving, from the state each gateway holds.
  for (const gateway of gateways) {
    for (let index = 0; index < 3; index += 1) assert.equal((await chat(gateway)).status, 200);
  }
  // A cooldown learned during the outage: written to Redis once it is back, not lost.
  cluster.fake.control.script({
    match: { email: 'spent@example.com', endpoint: ['generateContent', 'streamGenerateContent'] },
    times: 'always',
    action: { kind: 'error', status: 429, reason: 'QUOTA_EXHAUSTED', quotaResetDelay: '3h' },
  });
  const spentBefore = generateCalls(cluster.fake, 'spent@example.com');
  for (let index = 0; index < 4 && generateCalls(cluster.fake, 'spent@example.com') === spentBefore; index += 1) {
    assert.equal((await chat(first)).status, 200);
  }
  assert.equal(generateCalls(cluster.fake, 'spent@example.com'), spentBefore + 1);
  await until(
    async () => ((await health(first))['shared_store'] as Record<string, number>)['pending_writes']! > 0,
    'the queued write being reported',
  );
  // The CLI does not hang on a Redis that is down: it fails with a clear error.
  const cli = await runCli(['accounts', 'list'], { env: cluster.env });
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /Redis/);

  await cluster.redis.start();
  for (const gateway of gateways) {
    await until(async () => (await health(gateway))['status'] === 'ok', `${gateway.name} reconnecting`);
  }
  await until(
    async () => ((await health(first))['shared_store'] as Record<string, number>)['pending_writes'] === 0,
    'the queued writes landing',
  );
  const keys = await cluster.shared.redis!.connection.commands.keys('agw:cooldown:*');
  assert.equal(keys.length, 1, 'the cooldown learned during the outage is in Redis');
  for (const gateway of [second, third]) {
    await until(
      () => gateway.output().includes('learned from another gateway'),
      `${gateway.name} learning the cooldown after the outage`,
    );
  }
  const spentAfter = generateCalls(cluster.fake, 'spent@example.com');
  for (const gateway of [second, third]) {
    for (let index = 0; index < 4; index += 1) assert.equal((await chat(gateway)).status, 200);
  }
  assert.equal(generateCalls(cluster.fake, 'spent@example.com'), spentAfter, 'the others honour it');
  assert.deepEqual(
    (await cluster.shared.store.list()).accounts.map((account) => account.email).sort(),
    ['fresh@example.com', 'spent@example.com'],
    'the accounts survived the restart',
  );
});
