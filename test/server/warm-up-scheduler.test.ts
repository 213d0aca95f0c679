/**
 * The warm-up scheduler over the real pool and relay with a scripted upstream and a fake clock: a check does
 * nothing while the setting is off; with the request log unusable the history it keeps in memory still stops a
 * second call before the window ends; a failed warm-up is recorded and not retried.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFromObject } from '../../src/config/load.ts';
import { createWarmUpScheduler } from '../../src/server/warm-up-scheduler.ts';
import type { Account } from '../../src/store/account-schema.ts';
import { silentLogger } from '../../src/telemetry/log-port.ts';
import { createDisabledRequestLog, type RequestLogEntry } from '../../src/telemetry/request-log.ts';
import { makeAccount } from '../pool/helpers.ts';
import { googleError, relayHarness, textChunk } from '../relay/helpers.ts';

const hourMs = 3_600_000;

function schedulerFor(enabled: boolean, replies: Parameters<typeof relayHarness>[0], accounts: Account[]) {
  const relay = relayHarness(replies, []);
  relay.pool.pool.load(accounts);
  const config = configFromObject(
    '/nonexistent',
    { scheduled_warmup: { enabled, monitored_models: ['gemini-3-flash'] } },
    {},
    {},
  );
  const rows: RequestLogEntry[] = [];
  const requestLog = { ...createDisabledRequestLog(), record: (entry: RequestLogEntry) => rows.push(entry) };
  const scheduler = createWarmUpScheduler({
    store: { list: async () => ({ accounts, problems: [] }) },
    pool: relay.pool.pool,
    relay: relay.services,
    requestLog,
    config: () => config,
    logger: silentLogger,
    now: () => relay.pool.clock.now(),
  });
  return { scheduler, relay, rows };
}

const answer = { chunks: [textChunk('Hello', { finish: true, usage: [1, 1] })] };

test('a check does nothing while scheduled_warmup.enabled is off', async () => {
  const { scheduler, relay, rows } = schedulerFor(false, [answer], [makeAccount('a')]);
  assert.equal(await scheduler.tick(), undefined);
  assert.equal(relay.upstream.calls.length, 0);
  assert.equal(rows.length, 0);
});

test('without a usable request log the history kept in memory still holds off a second call', async () => {
  const { scheduler, relay, rows } = schedulerFor(true, [answer, answer], [makeAccount('a')]);
  const first = await scheduler.tick();
  assert.deepEqual(
    first?.calls.map((call) => [call.accountId, call.model, call.ok]),
    [['a', 'gemini-3-flash', true]],
  );
  assert.equal(relay.upstream.calls.length, 1);
  assert.equal(relay.upstream.calls[0]?.accessToken, 'at-a', 'sent with the account’s own token');
  assert.deepEqual(
    rows.map((row) => [row.protocol, row.route, row.accountId, row.status, row.inputTokens, row.outputTokens]),
    [['warm-up', '/warm-up/scheduled', 'a', 200, 1, 1]],
  );

  relay.pool.clock.nowMs += hourMs;
  assert.deepEqual((await scheduler.tick())?.calls, []);
  relay.pool.clock.nowMs += 4 * hourMs;
  assert.equal((await scheduler.tick())?.calls.length, 1, 'again once a window length has passed');
  assert.equal(relay.upstream.calls.length, 2);
});

test('a failed warm-up is recorded with its error and not retried by the next checks', async () => {
  const serverError = { status: 500, body: googleError(500, 'backend error') };
  const { scheduler, relay, rows } = schedulerFor(
    true,
    [serverError],
    [makeAccount('a'), makeAccount('b', { disabled: true })],
  );
  const first = await scheduler.tick();
  assert.deepEqual(
    first?.calls.map((call) => [call.accountId, call.ok]),
    [['a', false]],
  );
  assert.equal(relay.upstream.calls.length, 1, 'one attempt, no rotation to another account');
  assert.equal(rows[0]?.status, 502, 'the gateway error of an upstream 500');
  assert.ok(rows[0]?.errorCode);
  for (let check = 0; check < 5; check += 1) {
    relay.pool.clock.nowMs += 10 * 60_000;
    assert.deepEqual((await scheduler.tick())?.calls, []);
  }
  assert.equal(relay.upstream.calls.length, 1);
});
