/**
 * Three `agw serve` processes, one Redis, one fake Google: the pool is one pool. The seed story holds across
 * gateways (one invalid_grant disables the account everywhere, re-adding it from the CLI brings it back everywhere,
 * no restart), 60 concurrent requests over the three cost one refresh, and a 3 h quota reset learned by one
 * gateway keeps the others from calling that account.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../support/run-cli.ts';
import { apiKey, chat, generateCalls, refreshCalls, startCluster, until } from './cluster.ts';

test('seed story on three gateways: one invalid_grant disables the account on all; a CLI re-add restores it on all', async (t) => {
  const cluster = await startCluster(t);
  if (cluster === undefined) return;
  const broken = await cluster.addAccount('broken@example.com', '1//broken-old');
  await cluster.addAccount('healthy@example.com', '1//healthy');
  // The stored access token has run out: the next use of the account refreshes it, and Google says invalid_grant.
  await cluster.shared.store.persistToken(broken.id, { expiry_timestamp: Math.floor(Date.now() / 1000) - 60 });
  cluster.fake.control.revokeRefreshToken('1//broken-old');
  const [first, second, third] = await cluster.start();
  assert.ok(first && second && third);

  // Round-robin on two accounts: within two requests gateway one meets the revoked token, and still serves them
  // (or a gateway's first background quota round met it just before: the story is the same from there on).
  for (let index = 0; index < 4 && refreshCalls(cluster.fake, 'broken@example.com') === 0; index += 1) {
    assert.equal((await chat(first)).status, 200);
  }
  assert.equal(refreshCalls(cluster.fake, 'broken@example.com'), 1);
  const disabler = /Disabling account due to invalid_grant \(broken@example\.com\)/;
  await until(() => cluster.gateways.some((gateway) => disabler.test(gateway.output())), 'the disable log line');
  const others = cluster.gateways.filter((gateway) => !disabler.test(gateway.output()));
  assert.equal(others.length, 2, 'one gateway disabled it');
  await until(async () => (await cluster.shared.store.get(broken.id)).disabled, 'the disable stored in Redis');
  const stored = await cluster.shared.store.get(broken.id);
  assert.match(stored.disabled_reason ?? '', /^invalid_grant: /);
  // The other two drop it from their pools (their reload logs the skip) without a refresh of their own.
  for (const gateway of others) {
    await until(
      () => gateway.output().includes('Skipping disabled account: broken@example.com'),
      `${gateway.name} skipping the disabled account`,
    );
  }
  const generateBefore = generateCalls(cluster.fake, 'broken@example.com');
  for (const gateway of [first, second, third]) {
    for (let index = 0; index < 3; index += 1) assert.equal((await chat(gateway)).status, 200);
  }
  assert.equal(generateCalls(cluster.fake, 'broken@example.com'), generateBefore, 'nobody calls the disabled account');
  assert.equal(refreshCalls(cluster.fake, 'broken@example.com'), 1, 'one invalid_grant, not one per gateway');

  // Re-adding with a new refresh token (the CLI, on the same Redis) re-enables it on every gateway, no restart.
  cluster.fake.control.addAccount({ email: 'broken@example.com', refreshToken: '1//broken-new' });
  const added = await runCli(['accounts', 'add', '--refresh-token', '1//broken-new'], {
    env: cluster.env,
    mustSucceed: true,
  });
  assert.match(added.stdout, /re-enabled/);
  for (const gateway of [first, second, third]) {
    await until(async () => {
      const before = generateCalls(cluster.fake, 'broken@example.com');
      assert.equal((await chat(gateway)).status, 200);
      return generateCalls(cluster.fake, 'broken@example.com') > before;
    }, `${gateway.name} using the re-enabled account`);
  }
  assert.equal((await cluster.shared.store.get(broken.id)).disabled, false);
});

test('60 concurrent requests spread over three gateways refresh an expired token once', async (t) => {
  const cluster = await startCluster(t);
  if (cluster === undefined) return;
  const account = await cluster.addAccount('solo@example.com', '1//solo');
  await cluster.shared.store.persistToken(account.id, { expiry_timestamp: Math.floor(Date.now() / 1000) - 60 });
  const gateways = await cluster.start();
  const refreshesBefore = refreshCalls(cluster.fake, 'solo@example.com');
  const answers = await Promise.all(
    Array.from({ length: 60 }, (_, index) => chat(gateways[index % 3]!, `request ${index}`)),
  );
  assert.deepEqual(
    answers.map((answer) => answer.status),
    Array.from({ length: 60 }, () => 200),
  );
  assert.equal(refreshCalls(cluster.fake, 'solo@example.com') - refreshesBefore, 1, 'one refresh for all three');
  const stored = await cluster.shared.store.get(account.id);
  assert.ok(stored.token.expiry_timestamp > Date.now() / 1000, 'the refreshed token is in Redis');
});

test('a 429 with a 3 h reset learned by one gateway: the others make no upstream call to that account', async (t) => {
  const cluster = await startCluster(t);
  if (cluster === undefined) return;
  await cluster.addAccount('spent@example.com', '1//spent');
  await cluster.addAccount('fresh@example.com', '1//fresh');
  cluster.fake.control.script({
    match: { email: 'spent@example.com', endpoint: ['generateContent', 'streamGenerateContent'] },
    times: 'always',
    action: { kind: 'error', status: 429, reason: 'QUOTA_EXHAUSTED', quotaResetDelay: '3h' },
  });
  const [first, second, third] = await cluster.start();
  assert.ok(first && second && third);
  for (let index = 0; index < 4 && generateCalls(cluster.fake, 'spent@example.com') === 0; index += 1) {
    assert.equal((await chat(first)).status, 200);
  }
  assert.equal(generateCalls(cluster.fake, 'spent@example.com'), 1, 'gateway one met the exhausted account once');
  // The cooldown is in Redis with its expiry, and reaches the others through pub/sub.
  const keys = await cluster.shared.redis!.connection.commands.keys('agw:cooldown:*');
  assert.equal(keys.length, 1);
  const ttlMs = await cluster.shared.redis!.connection.commands.pttl(keys[0]!);
  assert.ok(ttlMs > 2.9 * 3_600_000 && ttlMs <= 3 * 3_600_000, `expires with the reset (${ttlMs} ms)`);
  for (const gateway of [second, third]) {
    await until(
      () => gateway.output().includes('learned from another gateway'),
      `${gateway.name} learning the cooldown`,
    );
  }
  for (const gateway of [second, third, first]) {
    for (let index = 0; index < 6; index += 1) assert.equal((await chat(gateway)).status, 200);
  }
  assert.equal(generateCalls(cluster.fake, 'spent@example.com'), 1, 'no other call to the exhausted account');

  // The request log stays per gateway, and says whose it is; metrics carry the gateway's name.
  const logs = (await (
    await fetch(`${second.url}/api/logs?limit=100`, { headers: { authorization: `Bearer ${apiKey}` } })
  ).json()) as { rows: unknown[]; instance: string };
  assert.equal(logs.instance, 'gw2');
  assert.equal(logs.rows.length, 6, 'only the requests gateway two answered');
  const metrics = await (
    await fetch(`${second.url}/metrics`, { headers: { authorization: `Bearer ${apiKey}` } })
  ).text();
  assert.match(metrics, /agw_shared_store_up\{instance_id="gw2"\} 1/);
});
