/**
 * Issue 16, quota without remainingFraction: some models come without a remaining fraction. That is "unknown",
 * never 0 %: it must not trigger quota protection, and views say so.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convertAvailableModels } from '../../src/google/code-assist.ts';
import { startHarness } from '../harness/gateway-harness.ts';
import { clientCall, send } from '../reliability/helpers.ts';

test('conversion: a missing remainingFraction is unknown (stored 100 with percentage_unknown), 0 stays 0', () => {
  const converted = convertAvailableModels({
    models: {
      'claude-sonnet-4-6': { quotaInfo: { resetTime: '2026-12-05T00:00:00Z' } },
      'gemini-3-flash': { quotaInfo: { remainingFraction: 0, resetTime: '2026-12-05T00:00:00Z' } },
    },
  });
  const byName = new Map(converted.models.map((model) => [model.name, model]));
  assert.equal(byName.get('claude-sonnet-4-6')?.percentage_unknown, true);
  assert.equal(byName.get('claude-sonnet-4-6')?.percentage, 100);
  assert.equal(byName.get('gemini-3-flash')?.percentage, 0);
  assert.equal(byName.get('gemini-3-flash')?.percentage_unknown, undefined);
});

test('quota protection on: a Claude model without remainingFraction is not protected; the API shows null', async () => {
  const email = 'unknown-quota@example.com';
  const harness = await startHarness({
    accounts: [{ email }],
    settings: {
      'quota_protection.enabled': true,
      'quota_protection.threshold_percentage': 10,
      'quota_protection.monitored_models': ['claude'],
    },
  });
  try {
    for (const model of ['claude-sonnet-4-6', 'claude-opus-4-6-thinking'])
      harness.fake.control.setQuota(email, model, null);
    await harness.gateway.services.quota!.refreshNow();
    await harness.gateway.services.reloadPool();
    const stored = await harness.store.get(email);
    assert.deepEqual(stored.protected_models ?? [], [], 'nothing protected');
    const result = await send(
      harness.url,
      harness.headers,
      clientCall('anthropic', 'hello', false, 'claude-sonnet-4-6'),
    );
    assert.equal(result.status, 200, result.text);
    const accounts = (await (await fetch(`${harness.url}/api/accounts`, { headers: harness.headers })).json()) as {
      accounts: Array<{ quota: { models: Array<{ name: string; percentage: number | null }> } | null }>;
    };
    const sonnet = accounts.accounts[0]?.quota?.models.find((model) => model.name === 'claude-sonnet-4-6');
    assert.equal(sonnet?.percentage, null);
  } finally {
    await harness.close();
  }
});
