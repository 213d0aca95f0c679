/**
 * The console shows every account state the gateway reports: a refresh-failing account is not "Active", and the
 * legacy quota_protection flag is not a Proxy-disabled badge (the view says what the pool does).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AccountState } from '../../src/accounts/account-state.ts';
import { accountView } from '../../src/accounts/account-view.ts';
import { badgesOf } from '../../web/src/accounts/states.ts';
import { makeAccount, startMs } from '../pool/helpers.ts';

const protection = { enabled: true, thresholdPercentage: 10, monitoredModels: ['claude'] };
const options = { nowMs: startMs, protection };

test('each live state gets its own badge with the reason as text', () => {
  const states: AccountState[] = ['refresh-failing', 'project-unresolved', 'validation-blocked', 'cooling'];
  for (const state of states) {
    const view = accountView(
      makeAccount('a'),
      { state, reason: `why ${state}`, untilMs: startMs + 600_000, cooldowns: [] },
      options,
    );
    const kinds = badgesOf(view, startMs).map((badge) => badge.kind);
    assert.ok(!kinds.includes('active'), `${state} is not shown as Active (${kinds.join(', ')})`);
  }
  const failing = accountView(
    makeAccount('a'),
    { state: 'refresh-failing', reason: 'token endpoint answered 503', cooldowns: [] },
    options,
  );
  assert.deepEqual(
    badgesOf(failing, startMs).map((badge) => [badge.kind, badge.label, badge.detail]),
    [['refresh-failing', 'Refresh-failing', 'token endpoint answered 503']],
  );
});

test('a legacy quota_protection file shows as Active, a manual switch as Proxy-disabled', () => {
  const legacy = accountView(
    makeAccount('legacy', { proxy_disabled: true, proxy_disabled_reason: 'quota_protection' }),
    undefined,
    options,
  );
  assert.deepEqual(
    badgesOf(legacy, startMs).map((badge) => badge.kind),
    ['active'],
  );
  const manual = accountView(
    makeAccount('manual', { proxy_disabled: true, proxy_disabled_reason: 'by hand' }),
    undefined,
    options,
  );
  assert.deepEqual(
    badgesOf(manual, startMs).map((badge) => [badge.kind, badge.detail]),
    [['proxy-disabled', 'by hand']],
  );
});
