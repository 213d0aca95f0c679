/**
 * The running server sees every account write another process makes: 50 `agw` commands in a row from another
 * process (proxy-disable, proxy-enable, re-add, quota refresh), each one applied by the running pool, in order,
 * none lost. How fast is a benchmark's business (bench/cli-write-visibility.ts, docs/operations.md), not this
 * test's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, startHarness } from '../harness/gateway-harness.ts';
import { startCliProcess } from '../support/cli-process.ts';

const writes = 50;
/** Generous bound for a missed write (the watcher's stat sweep alone finds a change in about a second). */
const seenWithinMs = 15_000;

test('50 CLI writes from another process are each applied by the running pool, in order', async () => {
  const harness = await startHarness({
    accounts: [
      { email: 'watched@example.com', tier: 'PRO' },
      { email: 'bystander@example.com', tier: 'FREE' },
    ],
  });
  try {
    const pool = harness.gateway.services.pool;
    const watched = harness.accounts.get('watched@example.com')!;
    const statusOf = () => pool.status().find((status) => status.id === watched.id);
    const other = await startCliProcess(harness.environment);
    const cli = async (...args: string[]) =>
      assert.equal(await other.run('--data-dir', harness.dataDir, ...args), 0, `agw ${args.join(' ')}`);
    let tier: 'PRO' | 'ULTRA' = 'PRO';
    const applied: string[] = [];
    for (let index = 0; index < writes; index += 1) {
      const kind = ['proxy-disable', 'proxy-enable', 're-add', 'quota-refresh'][index % 4]!;
      let seen: () => Promise<boolean>;
      if (kind === 'proxy-disable') {
        await cli('accounts', 'proxy-disable', watched.email, '--reason', `write ${index}`);
        seen = async () => statusOf()?.state === 'proxy-disabled' && statusOf()?.reason === `write ${index}`;
      } else if (kind === 'proxy-enable') {
        await cli('accounts', 'proxy-enable', watched.email);
        seen = async () => statusOf()?.state === 'active';
      } else if (kind === 're-add') {
        // The CLI refreshes the token and stores the new access token; the pool must take it over.
        const refreshToken = harness.fake.control.account(watched.email)!.refreshToken()!;
        await cli('accounts', 'add', '--refresh-token', refreshToken);
        const stored = (await harness.store.get(watched.id)).token.access_token;
        seen = async () => (await pool.accessTokenFor(watched.id)) === stored;
      } else {
        tier = tier === 'PRO' ? 'ULTRA' : 'PRO';
        harness.fake.control.setTier(watched.email, tier);
        await cli('accounts', 'quota', '--refresh');
        const stored = (await harness.store.get(watched.id)).quota?.subscription_tier;
        assert.ok(stored, 'the quota refresh stored a tier');
        seen = async () => statusOf()?.tier === stored;
      }
      await eventually(async () => ((await seen()) ? true : undefined), seenWithinMs, `write ${index} (${kind})`);
      applied.push(`${index}:${kind}`);
    }
    assert.equal(applied.length, writes);
    await other.close();
  } finally {
    await harness.close();
  }
});
