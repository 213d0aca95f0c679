/**
 * The warm-up end to end: a real gateway in front of the fake Google, the pool on the fake's clock. Off by default
 * nothing is sent; on, each check sends one real generation per eligible account and family, pinned to that
 * account, none to disabled, proxy-disabled or cooling accounts, none again before the reset and again after it,
 * each a request-log row with protocol `warm-up`. A failed warm-up cools its account down like any call and is not
 * retried. `agw warm-up` and POST /api/warm-up run a round on demand.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createFakeGoogle, type FakeGoogle } from '../../src/fake-google/index.ts';
import type { Clock } from '../../src/pool/ports.ts';
import { systemClock } from '../../src/server/pool-wiring.ts';
import type { WarmUpScheduler } from '../../src/server/warm-up-scheduler.ts';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';
import { runCli } from '../support/run-cli.ts';

const families = ['claude', 'gemini-3-flash'];
const hour = 3600;

let fake: FakeGoogle;
let clock: Clock;

before(async () => {
  fake = await createFakeGoogle({ port: 0 });
  clock = { now: () => fake.control.now(), sleep: systemClock.sleep };
});
after(async () => {
  await fake.close();
});

function warmUpOf(harness: Harness): WarmUpScheduler {
  const warmUp = harness.gateway.services.warmUp;
  assert.ok(warmUp, 'the runtime builds the warm-up');
  return warmUp;
}

/** Generate calls the fake saw since `sequence`, as `email model`, sorted. */
function generateCallsSince(sequence: number): string[] {
  return fake.control
    .calls()
    .filter((call) => call.sequence > sequence && call.endpoint === 'streamGenerateContent')
    .map((call) => `${call.email} ${call.model}`)
    .sort();
}

const lastSequence = (): number => fake.control.calls().at(-1)?.sequence ?? 0;

test('off by default: a check sends nothing and writes no row', async () => {
  const harness = await startHarness({ fake, clock, accounts: [{ email: 'off-a@example.com' }] });
  try {
    assert.equal(harness.gateway.services.config().warmUp.enabled, false);
    await harness.gateway.services.quota?.refreshNow();
    const since = lastSequence();
    assert.equal(await warmUpOf(harness).tick(), undefined);
    fake.control.advanceClock(6 * hour);
    assert.equal(await warmUpOf(harness).tick(), undefined);
    assert.deepEqual(generateCallsSince(since), []);
    assert.equal(harness.gateway.services.requestLog.count({ protocol: 'warm-up' }), 0);
  } finally {
    await harness.close();
  }
});

test('on: one call per eligible account and family, none for disabled, proxy-disabled or cooling, again after the reset', async () => {
  const emails = {
    fine: 'warm-fine@example.com',
    disabled: 'warm-disabled@example.com',
    switchedOff: 'warm-off@example.com',
    cooling: 'warm-cooling@example.com',
  };
  const harness = await startHarness({
    fake,
    clock,
    accounts: Object.values(emails).map((email) => ({ email })),
    settings: { 'scheduled_warmup.enabled': true, 'scheduled_warmup.monitored_models': families },
  });
  try {
    const { services } = harness.gateway;
    const id = (email: string): string => harness.accounts.get(email)?.id as string;
    await harness.store.update(id(emails.disabled), (draft) => {
      draft.disabled = true;
      draft.disabled_reason = 'invalid_grant: revoked in the test';
    });
    await harness.store.proxyDisable(id(emails.switchedOff), 'switched off in the test');
    await services.reloadPool();
    // Snapshots as the quota refresher takes them: every model full, the window resetting in 5 h.
    await services.quota?.refreshNow();
    // This account's Gemini quota is spent after the snapshot: its warm-up is refused with a 3 h reset.
    fake.control.setQuota(
      emails.cooling,
      'gemini-3-flash',
      0,
      new Date(fake.control.now() + 3 * hour * 1000).toISOString(),
    );

    let since = lastSequence();
    const first = await warmUpOf(harness).tick();
    assert.ok(first);
    assert.deepEqual(generateCallsSince(since), [
      `${emails.cooling} claude-sonnet-4-6`,
      `${emails.cooling} gemini-3-flash`,
      `${emails.fine} claude-sonnet-4-6`,
      `${emails.fine} gemini-3-flash`,
    ]);
    // A tiny real generation: a one-word prompt and a few output tokens.
    for (const call of fake.control.calls().filter((entry) => entry.sequence > since && entry.model !== undefined)) {
      const envelope = call.body as { request: { contents: unknown; generationConfig: { maxOutputTokens: number } } };
      assert.deepEqual(envelope.request.contents, [{ role: 'user', parts: [{ text: 'Hi' }] }]);
      assert.equal(envelope.request.generationConfig.maxOutputTokens, 8);
    }
    assert.deepEqual(
      first.calls.filter((call) => !call.ok).map((call) => `${call.email} ${call.model}`),
      [`${emails.cooling} gemini-3-flash`],
    );
    assert.deepEqual(first.skipped.map((skip) => skip.email).sort(), [emails.disabled, emails.switchedOff].sort());
    // The refusal cooled the account down for that family, like any call would.
    const coolingStatus = services.pool.status().find((status) => status.id === id(emails.cooling));
    assert.deepEqual(
      coolingStatus?.cooldowns.map((cooldown) => cooldown.model),
      ['gemini-3-flash'],
    );

    // Each warm-up is a request-log row marked warm-up, with its account and model.
    const rows = services.requestLog.query({ protocol: 'warm-up' });
    assert.equal(rows.length, 4);
    assert.deepEqual(
      rows.map((row) => `${row.accountId} ${row.mappedModel} ${row.status}`).sort(),
      [
        `${id(emails.cooling)} claude-sonnet-4-6 200`,
        `${id(emails.cooling)} gemini-3-flash 429`,
        `${id(emails.fine)} claude-sonnet-4-6 200`,
        `${id(emails.fine)} gemini-3-flash 200`,
      ].sort(),
    );
    for (const row of rows) {
      assert.equal(row.route, '/warm-up/scheduled');
      assert.equal(row.attempts, 1);
    }
    assert.ok(rows.find((row) => row.status === 429)?.errorCode, 'the failure has its error code');
    assert.equal(services.requestLog.count({ protocol: 'openai' }), 0, 'no client row');

    // Ten minutes later: the windows run, the failed one cools down; nothing is sent, the failure is not retried.
    fake.control.advanceClock(600);
    since = lastSequence();
    const second = await warmUpOf(harness).tick();
    assert.deepEqual(second?.calls, []);
    assert.deepEqual(generateCallsSince(since), []);
    assert.match(
      second?.skipped.find((skip) => skip.email === emails.cooling && skip.family === 'gemini-3-flash')?.reason ?? '',
      /cooling/,
    );

    // Past the 5-hour reset of the snapshots (and the 3-hour cooldown): every family of both accounts again.
    fake.control.setQuota(emails.cooling, 'gemini-3-flash', 1);
    fake.control.advanceClock(5 * hour);
    since = lastSequence();
    const third = await warmUpOf(harness).tick();
    assert.deepEqual(
      third?.calls.map((call) => call.ok),
      [true, true, true, true],
    );
    assert.equal(generateCallsSince(since).length, 4);

    // …and once per reset only.
    since = lastSequence();
    assert.deepEqual((await warmUpOf(harness).tick())?.calls, []);
    assert.deepEqual(generateCallsSince(since), []);
    assert.equal(services.requestLog.count({ protocol: 'warm-up' }), 8);
  } finally {
    await harness.close();
  }
});

test('POST /api/warm-up: a dry run lists the due calls and sends nothing; one account only; bad input is a 400', async () => {
  const harness = await startHarness({
    fake,
    accounts: [{ email: 'api-a@example.com' }, { email: 'api-b@example.com' }],
    settings: { 'scheduled_warmup.monitored_models': ['gemini-3-flash'] },
  });
  try {
    const post = (body: unknown) =>
      fetch(`${harness.url}/api/warm-up`, {
        method: 'POST',
        headers: { ...harness.headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const since = lastSequence();
    const dry = await post({ dry_run: true });
    assert.equal(dry.status, 200);
    const planned = (await dry.json()) as { dry_run: boolean; calls: Array<{ email: string; model: string }> };
    assert.equal(planned.dry_run, true);
    assert.deepEqual(planned.calls.map((call) => `${call.email} ${call.model}`).sort(), [
      'api-a@example.com gemini-3-flash',
      'api-b@example.com gemini-3-flash',
    ]);
    assert.deepEqual(generateCallsSince(since), []);

    // A manual run works with the schedule off, for the one account asked for.
    const one = await post({ account: 'api-b@example.com' });
    assert.equal(one.status, 200);
    const sent = (await one.json()) as { calls: Array<{ email: string; ok: boolean }> };
    assert.deepEqual(
      sent.calls.map((call) => [call.email, call.ok]),
      [['api-b@example.com', true]],
    );
    assert.deepEqual(generateCallsSince(since), ['api-b@example.com gemini-3-flash']);
    assert.equal(harness.gateway.services.requestLog.query({ protocol: 'warm-up' })[0]?.route, '/warm-up/manual');

    const bad = await post({ dry_run: 'yes' });
    assert.equal(bad.status, 400);
    assert.equal((await post({ account: 'nobody@example.com' })).status, 404);
  } finally {
    await harness.close();
  }
});

test('agw warm-up: sends a round from the CLI into the shared request log; a second run sends nothing', async () => {
  const harness = await startHarness({
    fake,
    accounts: [{ email: 'cli-a@example.com' }],
    settings: { 'scheduled_warmup.monitored_models': ['claude'] },
  });
  try {
    const env = { ...harness.environment, AGW_DATA_DIR: harness.dataDir };
    const since = lastSequence();
    const dry = await runCli(['warm-up', '--dry-run'], { env, mustSucceed: true });
    assert.match(dry.stdout, /cli-a@example\.com\s+claude\s+claude-sonnet-4-6\s+due/);
    assert.deepEqual(generateCallsSince(since), []);

    const run = await runCli(['warm-up', '--json'], { env, mustSucceed: true });
    const outcome = JSON.parse(run.stdout) as { calls: Array<{ email: string; model: string; ok: boolean }> };
    assert.deepEqual(
      outcome.calls.map((call) => [call.email, call.model, call.ok]),
      [['cli-a@example.com', 'claude-sonnet-4-6', true]],
    );
    assert.deepEqual(generateCallsSince(since), ['cli-a@example.com claude-sonnet-4-6']);
    // The gateway sees the CLI's row (same agw.db), so its own round does not warm the family again.
    assert.equal(harness.gateway.services.requestLog.count({ protocol: 'warm-up' }), 1);
    assert.deepEqual((await warmUpOf(harness).runNow()).calls, []);

    const again = await runCli(['warm-up'], { env, mustSucceed: true });
    assert.match(again.stdout, /0 sent, 0 failed, 1 skipped/);
    assert.deepEqual(generateCallsSince(since), ['cli-a@example.com claude-sonnet-4-6']);

    const unknown = await runCli(['warm-up', '--account', 'nobody@example.com'], { env });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /AGW_ACCOUNT_NOT_FOUND/);
  } finally {
    await harness.close();
  }
});

test('a warm-up never pays with Google One AI credits, even with agw.use_credits on', async () => {
  const email = 'warm-credits@example.com';
  const harness = await startHarness({
    fake,
    accounts: [{ email, credits: { amount: 100 } }],
    settings: { 'agw.use_credits': true, 'scheduled_warmup.monitored_models': ['gemini-3-flash'] },
  });
  try {
    await harness.gateway.services.quota?.refreshNow();
    await harness.gateway.services.reloadPool();
    fake.control.setQuota(email, 'gemini-3-flash', 0, new Date(fake.control.now() + hour * 1000).toISOString());
    const since = lastSequence();
    const outcome = await warmUpOf(harness).runNow();
    assert.deepEqual(
      outcome.calls.map((call) => call.ok),
      [false],
    );
    const calls = fake.control.calls().filter((call) => call.sequence > since && call.model !== undefined);
    assert.equal(calls.length, 1, 'one call, not repeated paid by credits');
    assert.equal(calls[0]?.generation?.enabledCreditTypes, undefined);
    assert.equal(fake.control.credits(email)?.amount, 100);
  } finally {
    await harness.close();
  }
});
