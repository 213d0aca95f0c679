/**
 * Issue 4 at HTTP level: single-flight refresh under load, transient refresh failures that only cool an account
 * down, and refresh-token rotation persisted before use.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RecordedCall } from '../../src/fake-google/types.ts';
import { tokenJournalName } from '../../src/store/token-journal.ts';
import { eventually, startHarness } from '../harness/gateway-harness.ts';
import { admin, chat, metricValue, movableClock } from './helpers.ts';

function presented(call: RecordedCall): string | undefined {
  const body = call.body as Record<string, unknown> | undefined;
  return typeof body?.['refresh_token'] === 'string' ? body['refresh_token'] : undefined;
}

test('200 concurrent requests on an expired access token cause exactly one refresh', async () => {
  const harness = await startHarness({
    accounts: [{ email: 'busy@example.com', refreshToken: '1//busy-token-single-flight', expired: true }],
  });
  try {
    const before = harness.fake.control.calls().length;
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, index) => chat(harness.url, harness.headers, `concurrent ${index}`)),
    );
    for (const result of results) assert.equal(result.status, 200, result.text);
    const refreshes = harness.fake.control
      .calls({ endpoint: 'token' })
      .filter((call) => call.sequence > before && presented(call) === '1//busy-token-single-flight');
    assert.equal(refreshes.length, 1);
    assert.equal(harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).length, 200);
  } finally {
    await harness.close();
  }
});

for (const failure of [
  { name: '503', action: { kind: 'error' as const, status: 503, message: 'backend unavailable' } },
  { name: 'a connection reset', action: { kind: 'reset-before-headers' as const } },
]) {
  test(`a refresh answered with ${failure.name} cools the account down without disabling it; another serves; it recovers`, async () => {
    const clock = movableClock();
    const harness = await startHarness({
      clock,
      accounts: [
        { email: 'flaky@example.com', tier: 'ULTRA', expired: true },
        { email: 'steady@example.com', tier: 'FREE' },
      ],
    });
    try {
      const control = harness.fake.control;
      const flaky = harness.accounts.get('flaky@example.com')!;
      const scripted = control.script({
        match: { endpoint: 'token', email: 'flaky@example.com' },
        action: failure.action,
      });
      // The selector may pick either account first: ask until the flaky one has tried (and failed) its refresh.
      let sent = 0;
      await eventually(async () => {
        sent += 1;
        const result = await chat(harness.url, harness.headers, `served despite the failed refresh ${sent}`);
        assert.equal(result.status, 200, result.text);
        return scripted.remaining() === 0 ? true : undefined;
      });
      const generated = control.calls({ endpoint: 'streamGenerateContent' });
      assert.equal(generated.length, sent);
      assert.ok(
        generated.every((call) => call.email === 'steady@example.com'),
        'every request was served by the other account',
      );

      const stored = await harness.store.get(flaky.id);
      assert.equal(stored.disabled, false, 'a transient refresh failure never disables');
      const view = await admin<{ accounts: Array<{ id: string; state: string; disabled: boolean }> }>(
        harness.url,
        harness.headers,
        '/api/accounts',
      );
      assert.equal(view.accounts.find((account) => account.id === flaky.id)?.state, 'refresh-failing');

      // Past the cooldown it is usable again; with the other account switched off it must refresh and serve.
      clock.advance(31 * 60);
      const steady = harness.accounts.get('steady@example.com')!;
      const switchedOff = await fetch(`${harness.url}/api/accounts/${steady.id}/proxy`, {
        method: 'POST',
        headers: { ...harness.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ enabled: false }),
      });
      assert.equal(switchedOff.status, 200);
      const later = await chat(harness.url, harness.headers, 'after the cooldown');
      assert.equal(later.status, 200, later.text);
      const lastGenerate = control.calls({ endpoint: 'streamGenerateContent' }).at(-1);
      assert.equal(lastGenerate?.email, 'flaky@example.com');
      const recovered = await admin<{ accounts: Array<{ id: string; state: string }> }>(
        harness.url,
        harness.headers,
        '/api/accounts',
      );
      assert.equal(recovered.accounts.find((account) => account.id === flaky.id)?.state, 'active');
      const metrics = await (await fetch(`${harness.url}/metrics`, { headers: harness.headers })).text();
      assert.equal(metricValue(metrics, 'agw_token_refreshes_total', { outcome: 'transient_error' }), 1);
      assert.equal(metricValue(metrics, 'agw_token_refreshes_total', { outcome: 'invalid_grant' }), 0);
    } finally {
      await harness.close();
    }
  });
}

test('a rotated refresh token is durable before the new access token is used, and later refreshes use it', async () => {
  const clock = movableClock();
  const harness = await startHarness({
    clock,
    accounts: [{ email: 'rotating@example.com', refreshToken: '1//rotation-original-token', expired: true }],
  });
  const control = harness.fake.control;
  const account = harness.accounts.get('rotating@example.com')!;
  const file = join(harness.dataDir, 'accounts', `${account.id}.json`);
  const journal = join(harness.dataDir, tokenJournalName);
  // The refresh tokens on disk (the account file, and the journal a crash would be replayed from) at the moment
  // each generate call reached Google.
  const durableAtUse: string[][] = [];
  const onCall = (call: RecordedCall): void => {
    if (call.endpoint !== 'streamGenerateContent') return;
    const inFile = (JSON.parse(readFileSync(file, 'utf8')) as { token: { refresh_token: string } }).token;
    const inJournal = existsSync(journal)
      ? readFileSync(journal, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => (JSON.parse(line) as { refreshToken: string }).refreshToken)
      : [];
    durableAtUse.push([inFile.refresh_token, ...inJournal]);
  };
  control.events.on('call', onCall);
  try {
    control.rotateRefreshTokens('rotating@example.com', true);
    const issued: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      const result = await chat(harness.url, harness.headers, `round ${round}`);
      assert.equal(result.status, 200, result.text);
      const current = control.account('rotating@example.com')!.refreshToken()!;
      issued.push(current);
      assert.ok(durableAtUse.at(-1)?.includes(current), `round ${round}: the new refresh token was on disk before use`);
      clock.advance(3600);
    }
    assert.equal(new Set(issued).size, 3, 'each refresh rotated the token');
    assert.ok(!issued.includes('1//rotation-original-token'));
    const presentedTokens = control
      .calls({ endpoint: 'token', email: 'rotating@example.com' })
      .map(presented)
      .filter((token) => token !== undefined)
      .slice(-3);
    assert.deepEqual(presentedTokens, ['1//rotation-original-token', issued[0], issued[1]]);
    await harness.gateway.services.pool.settle();
    const stored = await harness.store.get(account.id);
    assert.equal(stored.disabled, false);
    assert.equal(stored.token.refresh_token, issued[2]);
    const invalidGrants = control
      .calls({ endpoint: 'token', email: 'rotating@example.com' })
      .filter((call) => call.outcome === 400);
    assert.equal(invalidGrants.length, 0, 'no invalid_grant after rotation');
  } finally {
    control.events.off('call', onCall);
    await harness.close();
  }
});
