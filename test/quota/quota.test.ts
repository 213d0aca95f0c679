/**
 * Quota tracking and protection against the fake Google's scripted quotas: the reference file format, background
 * refreshes without any client, skipped accounts, protection that kicks in and lifts (on refresh and at the reset
 * time), 429 QUOTA_EXHAUSTED recorded in the file, the CLI table and the API.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually, type Harness, startHarness } from '../harness/gateway-harness.ts';
import { runCli } from '../support/run-cli.ts';

async function accountFile(harness: Harness, email: string): Promise<Record<string, unknown>> {
  const id = harness.accounts.get(email)!.id;
  return JSON.parse(await readFile(join(harness.dataDir, 'accounts', `${id}.json`), 'utf8'));
}

async function ask(harness: Harness, model: string, text: string): Promise<number> {
  const response = await fetch(`${harness.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...harness.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: text }] }),
  });
  await response.text();
  return response.status;
}

/** Protection works per family (the reference takes the best model of the family), so set every Claude model. */
function setClaudeQuota(harness: Harness, email: string, fraction: number, resetTime: string): void {
  for (const model of ['claude-sonnet-4-6', 'claude-sonnet-4-6-thinking', 'claude-opus-4-6-thinking']) {
    harness.fake.control.setQuota(email, model, fraction, resetTime);
  }
}

function servedBy(harness: Harness, email: string): number {
  return harness.fake.control.calls({ endpoint: 'streamGenerateContent', email }).length;
}

test('refreshes write the reference format, skip disabled accounts, and run without any client', async () => {
  const harness = await startHarness({
    accounts: [{ email: 'quota-a@example.com', tier: 'ULTRA' }, { email: 'quota-off@example.com' }],
    settings: { refresh_interval: 0.01 },
    quotaRefresh: true,
  });
  try {
    harness.fake.control.setQuota('quota-a@example.com', 'claude-sonnet-4-6', 0.42, '2030-01-01T00:00:00Z');
    harness.fake.control.setBuckets('quota-a@example.com', [
      {
        bucketId: 'gemini-weekly',
        window: 'weekly',
        remainingFraction: 0.5,
        resetTime: '2030-01-02T00:00:00Z',
      } as never,
    ]);
    await harness.store.disable(harness.accounts.get('quota-off@example.com')!.id, 'invalid_grant: test');
    await harness.gateway.services.reloadPool();
    // No client request at all: the background schedule (interval 0.6 s here) fills the snapshot.
    const file = await eventually(
      async () => {
        const current = await accountFile(harness, 'quota-a@example.com');
        return current['quota'] ? current : undefined;
      },
      5000,
      'a background quota snapshot',
    );
    const quota = file['quota'] as Record<string, unknown>;
    for (const key of [
      'models',
      'last_updated',
      'is_forbidden',
      'subscription_tier',
      'model_forwarding_rules',
      'quota_groups',
    ]) {
      assert.ok(key in quota, `quota.${key} (reference format)`);
    }
    const claude = (quota['models'] as Array<Record<string, unknown>>).find(
      (model) => model['name'] === 'claude-sonnet-4-6',
    );
    assert.deepEqual(claude && { percentage: claude['percentage'], reset_time: claude['reset_time'] }, {
      percentage: 42,
      reset_time: '2030-01-01T00:00:00Z',
    });
    assert.match(String(quota['subscription_tier']), /ULTRA/i);
    assert.ok(Array.isArray(quota['quota_groups']));
    assert.equal(
      harness.fake.control.calls({ endpoint: 'fetchAvailableModels', email: 'quota-off@example.com' }).length,
      0,
      'disabled accounts are skipped',
    );
    const requests = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).length;
    assert.equal(requests, 0, 'no client was attached');
  } finally {
    await harness.close();
  }
});

test('quota protection kicks in below the threshold and lifts on refresh and at the reset time', async () => {
  const harness = await startHarness({
    accounts: [{ email: 'low@example.com' }, { email: 'plenty@example.com' }],
    settings: {
      'quota_protection.enabled': true,
      'quota_protection.threshold_percentage': 10,
      'quota_protection.monitored_models': ['claude'],
    },
  });
  const quota = harness.gateway.services.quota!;
  const low = harness.accounts.get('low@example.com')!;
  const plenty = harness.accounts.get('plenty@example.com')!;
  try {
    setClaudeQuota(harness, 'low@example.com', 0.05, '2030-01-01T00:00:00Z');
    setClaudeQuota(harness, 'plenty@example.com', 0.9, '2030-01-01T00:00:00Z');
    assert.equal((await quota.refreshNow()).refreshed, 2);
    assert.deepEqual((await accountFile(harness, 'low@example.com'))['protected_models'], ['claude']);
    assert.equal((await accountFile(harness, 'plenty@example.com'))['protected_models'], undefined);

    for (let index = 0; index < 8; index += 1)
      assert.equal(await ask(harness, 'claude-sonnet-4-6', `claude ${index}`), 200);
    assert.equal(servedBy(harness, 'low@example.com'), 0, 'the protected account serves no Claude request');
    const geminiBefore = servedBy(harness, 'low@example.com');
    await harness.store.proxyDisable(plenty.id, 'test: only the protected account is left');
    await harness.gateway.services.reloadPool();
    assert.equal(await ask(harness, 'gemini-3-flash', 'gemini still works'), 200, 'other models still use it');
    assert.equal(servedBy(harness, 'low@example.com'), geminiBefore + 1);
    assert.notEqual(
      await ask(harness, 'claude-sonnet-4-6', 'no account for claude'),
      200,
      'claude has no usable account',
    );

    // Lifted by a refresh that shows quota above the threshold.
    setClaudeQuota(harness, 'low@example.com', 0.5, '2030-01-01T00:00:00Z');
    await quota.refreshNow([low.id]);
    assert.equal((await accountFile(harness, 'low@example.com'))['protected_models'], undefined);
    assert.equal(await ask(harness, 'claude-sonnet-4-6', 'claude again'), 200);

    // Lifted when the reset time passes, before any new snapshot.
    const resetSoon = new Date(Date.now() + 1500).toISOString();
    setClaudeQuota(harness, 'low@example.com', 0.02, resetSoon);
    await quota.refreshNow([low.id]);
    assert.notEqual(await ask(harness, 'claude-sonnet-4-6', 'protected again'), 200);
    await new Promise((resolve) => setTimeout(resolve, 1700));
    await harness.gateway.services.reloadPool();
    assert.equal(await ask(harness, 'claude-sonnet-4-6', 'after the reset'), 200);
  } finally {
    await harness.close();
  }
});

test('a 429 QUOTA_EXHAUSTED with a reset time records 0 % until then in the account file', async () => {
  const harness = await startHarness({ accounts: [{ email: 'exhausted@example.com' }] });
  try {
    await harness.gateway.services.quota!.refreshNow();
    const stamp = '2031-05-05T05:05:05Z';
    harness.fake.control.script({
      match: { endpoint: 'streamGenerateContent' },
      action: {
        kind: 'error',
        status: 429,
        reason: 'QUOTA_EXHAUSTED',
        quotaResetDelay: '3h0m0s',
        quotaResetTimeStamp: stamp,
      },
    });
    await ask(harness, 'claude-sonnet-4-6', 'exhaust me');
    const models = await eventually(
      async () => {
        const file = await accountFile(harness, 'exhausted@example.com');
        const list = (file['quota'] as { models: Array<{ name: string; percentage: number; reset_time: string }> })
          .models;
        return list.some((model) => model.percentage === 0) ? list : undefined;
      },
      3000,
      'the exhausted model recorded',
    );
    const exhausted = models.find((model) => model.percentage === 0)!;
    assert.match(exhausted.name, /claude/);
    assert.equal(Date.parse(exhausted.reset_time), Date.parse(stamp));
  } finally {
    await harness.close();
  }
});

test('the API and `agw accounts quota` show models, bars, reset times and buckets', async () => {
  const harness = await startHarness({ accounts: [{ email: 'shown@example.com' }] });
  try {
    harness.fake.control.setQuota('shown@example.com', 'gemini-3-flash', 0.8, '2030-03-03T00:00:00Z');
    const id = harness.accounts.get('shown@example.com')!.id;
    const refreshed = await fetch(`${harness.url}/api/accounts/${id}/quota?refresh=1`, { headers: harness.headers });
    assert.equal(refreshed.status, 200);
    const body = (await refreshed.json()) as { quota: { models: Array<{ name: string; percentage: number }> } };
    assert.ok(body.quota.models.some((model) => model.name === 'gemini-3-flash' && model.percentage === 80));
    const all = (await (await fetch(`${harness.url}/api/quota`, { headers: harness.headers })).json()) as {
      accounts: Array<{ email: string }>;
    };
    assert.deepEqual(
      all.accounts.map((account) => account.email),
      ['shown@example.com'],
    );
    const refreshAll = (await (
      await fetch(`${harness.url}/api/quota/refresh`, { method: 'POST', headers: harness.headers })
    ).json()) as { refreshed: number };
    assert.equal(refreshAll.refreshed, 1);

    const table = await runCli(['--data-dir', harness.dataDir, 'accounts', 'quota', '--refresh'], {
      env: harness.environment,
      mustSucceed: true,
    });
    assert.match(table.stdout, /refreshed 1, failed 0/);
    assert.match(table.stdout, /shown@example\.com\s+gemini-3-flash\s+████████░░\s+80%\s+2030-03-03T00:00:00Z/);
    const json = await runCli(['--data-dir', harness.dataDir, 'accounts', 'quota', '--json'], { mustSucceed: true });
    const parsed = JSON.parse(json.stdout) as Array<{ models: Array<{ name: string }> }>;
    assert.ok(parsed[0]?.models.some((model) => model.name === 'gemini-3-flash'));
  } finally {
    await harness.close();
  }
});
