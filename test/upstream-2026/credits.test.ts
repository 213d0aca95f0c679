/**
 * Issue 16, credits: with agw.use_credits on, an account whose free quota of a model is spent (429
 * QUOTA_EXHAUSTED) and whose snapshot reports Google One AI credits sends the call once more with
 * `enabledCreditTypes: ["GOOGLE_ONE_AI"]`; INSUFFICIENT_G1_CREDITS_BALANCE is classified.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyFailure } from '../../src/pool/classify-failure.ts';
import { defaultPoolSettings } from '../../src/pool/settings.ts';
import { startHarness } from '../harness/gateway-harness.ts';
import { clientCall, send } from '../reliability/helpers.ts';

const model = 'gemini-3-flash';
const resetTime = () => new Date(Date.now() + 3 * 3600 * 1000).toISOString();

test('INSUFFICIENT_G1_CREDITS_BALANCE is its own rate-limit reason (an account fact, never poison)', () => {
  const bodyText = JSON.stringify({
    error: {
      code: 429,
      message: 'Resource has been exhausted (e.g. check quota). Insufficient Google One AI credits.',
      status: 'RESOURCE_EXHAUSTED',
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'INSUFFICIENT_G1_CREDITS_BALANCE' }],
    },
  });
  const verdict = classifyFailure(
    { kind: 'http', status: 429, headers: {}, bodyText, committed: false },
    defaultPoolSettings,
    Date.now(),
  );
  assert.equal(verdict.action, 'cool-model');
  assert.equal(verdict.action === 'cool-model' ? verdict.reason : undefined, 'INSUFFICIENT_CREDITS');
});

async function harnessWithCredits(useCredits: boolean, amount: number) {
  const email = `credits-${useCredits}-${amount}@example.com`;
  const harness = await startHarness({
    accounts: [{ email, credits: { amount } }],
    settings: { 'agw.use_credits': useCredits },
  });
  await harness.gateway.services.quota!.refreshNow();
  await harness.gateway.services.reloadPool();
  harness.fake.control.setQuota(email, model, 0, resetTime());
  return { harness, email };
}

test('opt-in on, free quota spent, credits reported: the call is repeated paid by credits and answered', async () => {
  const { harness, email } = await harnessWithCredits(true, 100);
  try {
    const stored = await harness.store.get(email);
    assert.deepEqual(stored.quota?.google_one_credits, { amount: 100, minimum_for_usage: 50 });
    const result = await send(harness.url, harness.headers, clientCall('openai', 'hello', false, model));
    assert.equal(result.status, 200, result.text);
    const calls = harness.fake.control.calls({ endpoint: 'streamGenerateContent' });
    assert.deepEqual(
      calls.map((call) => call.rule),
      ['quota-exhausted', 'credits'],
    );
    assert.deepEqual(calls[1]!.generation?.enabledCreditTypes, ['GOOGLE_ONE_AI']);
    assert.equal(harness.fake.control.credits(email)?.amount, 99);
  } finally {
    await harness.close();
  }
});

test('opt-in off (the default), or a balance below the usable minimum: no credits are asked for', async () => {
  for (const [useCredits, amount] of [
    [false, 100],
    [true, 10],
  ] as const) {
    const { harness } = await harnessWithCredits(useCredits, amount);
    try {
      const result = await send(harness.url, harness.headers, clientCall('openai', 'hello', false, model));
      assert.equal(result.status, 429, result.text);
      const calls = harness.fake.control.calls({ endpoint: 'streamGenerateContent' });
      assert.ok(calls.every((call) => call.generation?.enabledCreditTypes === undefined));
    } finally {
      await harness.close();
    }
  }
});
