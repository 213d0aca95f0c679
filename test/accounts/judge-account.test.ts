/**
 * The one account-state judgement (src/accounts/): file → state in the pool's load order, the legacy
 * `quota_protection` reason read as model protection, and runtime states layered on top for views.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accountView } from '../../src/accounts/account-view.ts';
import { judgeAccount, shownState } from '../../src/accounts/judge-account.ts';
import { createTestPool, makeAccount, startMs } from '../pool/helpers.ts';

const protection = { enabled: true, thresholdPercentage: 10, monitoredModels: ['claude', 'gemini-3-flash'] };
const nowSeconds = Math.floor(startMs / 1000);
const lowClaude = {
  quota: {
    models: [
      { name: 'claude-sonnet-4-6', percentage: 3, reset_time: '' },
      { name: 'gemini-3-flash', percentage: 90, reset_time: '' },
    ],
    last_updated: nowSeconds,
  },
};

test('a file is judged in the pool load order: disabled, proxy switch, forbidden, validation block, project', () => {
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, string, boolean]> = [
    ['plain', {}, {}, 'active', true],
    [
      'disabled wins',
      { disabled: true, disabled_reason: 'invalid_grant: x', proxy_disabled: true },
      {},
      'disabled',
      false,
    ],
    [
      'proxy switch before a validation block',
      {
        proxy_disabled: true,
        proxy_disabled_reason: 'manual',
        validation_blocked: true,
        validation_blocked_until: nowSeconds + 60,
      },
      {},
      'proxy-disabled',
      false,
    ],
    [
      'forbidden before a validation block',
      {
        quota: { models: [], last_updated: nowSeconds, is_forbidden: true },
        validation_blocked: true,
        validation_blocked_until: nowSeconds + 60,
      },
      {},
      'forbidden',
      false,
    ],
    [
      'running validation block',
      { validation_blocked: true, validation_blocked_until: nowSeconds + 60 },
      {},
      'validation-blocked',
      true,
    ],
    [
      'ended validation block',
      { validation_blocked: true, validation_blocked_until: nowSeconds - 60 },
      {},
      'active',
      true,
    ],
    [
      'no project yet',
      { agw_error: 'loadCodeAssist gave no project' },
      { project_id: null },
      'project-unresolved',
      true,
    ],
    ['stale error beside a project', { agw_error: 'old' }, {}, 'active', true],
  ];
  for (const [name, overrides, token, state, loaded] of cases) {
    const judgement = judgeAccount(makeAccount('a', overrides, token), protection, startMs);
    assert.equal(judgement.state, state, name);
    assert.equal(judgement.loaded, loaded, name);
  }
  const ended = judgeAccount(
    makeAccount('a', { validation_blocked: true, validation_blocked_until: nowSeconds - 60 }),
    protection,
    startMs,
  );
  assert.equal(ended.validationExpired, true, 'an ended block is reported so the store clears it');
});

test('the legacy quota_protection reason is model protection, not a manual switch, for the pool and the view', () => {
  const legacy = makeAccount('legacy', {
    proxy_disabled: true,
    proxy_disabled_reason: 'quota_protection',
    ...lowClaude,
  });
  const judgement = judgeAccount(legacy, protection, startMs);
  assert.equal(judgement.state, 'active');
  assert.equal(judgement.loaded, true);
  assert.equal(judgement.proxyDisabled, false);
  assert.deepEqual([...judgement.protectedModels], ['claude']);

  const view = accountView(legacy, undefined, { nowMs: startMs, protection });
  assert.equal(view.state, 'active');
  assert.equal(view.proxy_disabled, false, 'the console must not show a Proxy-disabled badge');
  assert.equal(view.proxy_disabled_reason, null);
  assert.deepEqual(view.protected_models, ['claude']);

  const manual = accountView(
    makeAccount('manual', { proxy_disabled: true, proxy_disabled_reason: 'by hand' }),
    undefined,
    {
      nowMs: startMs,
      protection,
    },
  );
  assert.equal(manual.state, 'proxy-disabled');
  assert.equal(manual.proxy_disabled, true);
  assert.equal(manual.proxy_disabled_reason, 'by hand');

  const off = accountView(legacy, undefined, { nowMs: startMs, protection: { ...protection, enabled: false } });
  assert.deepEqual(off.protected_models, [], 'protection switched off holds no model back');
});

test('runtime states of the pool show over the file, but never over a switch in the file', () => {
  const active = judgeAccount(makeAccount('a'), protection, startMs);
  const failing = { state: 'refresh-failing' as const, reason: 'HTTP 503', untilMs: startMs + 60_000 };
  assert.deepEqual(shownState(active, failing), failing);
  assert.equal(shownState(active, { state: 'active' }).state, 'active');
  assert.equal(shownState(active, undefined).state, 'active');

  // The file is newer than the pool's last load: the switch counts.
  const switchedOff = judgeAccount(
    makeAccount('a', { proxy_disabled: true, proxy_disabled_reason: 'x' }),
    protection,
    startMs,
  );
  assert.equal(shownState(switchedOff, failing).state, 'proxy-disabled');

  const view = accountView(makeAccount('a'), { ...failing, cooldowns: [] }, { nowMs: startMs, protection });
  assert.equal(view.state, 'refresh-failing');
  assert.equal(view.error, 'HTTP 503');
});

test('the pool reports the judged state of every file it was given, with the same words', () => {
  const { pool } = createTestPool({ quotaProtection: protection });
  const files = [
    makeAccount('plain'),
    makeAccount('legacy', { proxy_disabled: true, proxy_disabled_reason: 'quota_protection', ...lowClaude }),
    makeAccount('manual', { proxy_disabled: true, proxy_disabled_reason: 'by hand' }),
    makeAccount('dead', { disabled: true, disabled_reason: 'invalid_grant: revoked' }),
    makeAccount('refused', { quota: { models: [], last_updated: nowSeconds, is_forbidden: true } }),
    makeAccount('verify', { validation_blocked: true, validation_blocked_until: nowSeconds + 600 }),
    makeAccount('projectless', { agw_error: 'no project' }, { project_id: null }),
  ];
  pool.load(files);
  const fromPool = new Map(pool.status().map((status) => [status.id, status.state]));
  for (const file of files) {
    assert.equal(
      fromPool.get(file.id),
      judgeAccount(file, protection, startMs).state,
      `${file.id}: the pool and the judgement agree`,
    );
  }
});
