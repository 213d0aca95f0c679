/**
 * The warm-up plan (src/accounts/warm-up-plan.ts) with a fake clock: one call per eligible account and family,
 * none for accounts the state judgement keeps out or families cooling down, none again before the window resets,
 * and again after the reset.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noQuotaProtection } from '../../src/accounts/quota-protection.ts';
import { planWarmUp, type WarmUpLiveState, type WarmUpPlanInput, warmUpKey } from '../../src/accounts/warm-up-plan.ts';
import type { Account, ModelQuota } from '../../src/store/account-schema.ts';

const hour = 3_600_000;
const windowMs = 5 * hour;
const t0 = Date.parse('2026-12-04T12:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

function model(name: string, percentage: number, resetMs: number): ModelQuota {
  return { name, percentage, reset_time: iso(resetMs) };
}

/** An account whose snapshot (taken a minute before t0) lists Claude and Gemini Flash full, resetting in 5 h. */
function account(id: string, overrides: Partial<Account> = {}): Account {
  return {
    id,
    email: `${id}@example.com`,
    token: {
      access_token: 'ya29.x',
      refresh_token: '1//x',
      expires_in: 3599,
      expiry_timestamp: Math.floor(t0 / 1000) + 3000,
      token_type: 'Bearer',
      project_id: 'project-1',
    },
    quota: {
      last_updated: Math.floor((t0 - 60_000) / 1000),
      is_forbidden: false,
      model_forwarding_rules: {},
      models: [
        model('claude-opus-4-6-thinking', 100, t0 + windowMs),
        model('claude-sonnet-4-6', 100, t0 + windowMs),
        model('gemini-3-flash', 100, t0 + windowMs),
      ],
    },
    disabled: false,
    proxy_disabled: false,
    validation_blocked: false,
    created_at: 0,
    last_used: 0,
    ...overrides,
  };
}

function input(overrides: Partial<WarmUpPlanInput>): WarmUpPlanInput {
  return {
    nowMs: t0,
    accounts: [],
    live: new Map(),
    lastWarmUps: new Map(),
    families: ['claude', 'gemini-3-flash'],
    windowMs,
    protection: noQuotaProtection,
    ...overrides,
  };
}

const pairs = (plan: ReturnType<typeof planWarmUp>) => plan.calls.map((call) => `${call.accountId} ${call.model}`);

test('one call per eligible account and family, to a listed model of the family that does not think by its id', () => {
  const plan = planWarmUp(input({ accounts: [account('a'), account('b')] }));
  assert.deepEqual(pairs(plan), ['a claude-sonnet-4-6', 'a gemini-3-flash', 'b claude-sonnet-4-6', 'b gemini-3-flash']);
  assert.deepEqual(
    plan.calls.map((call) => call.family),
    ['claude', 'gemini-3-flash', 'claude', 'gemini-3-flash'],
  );
  assert.equal(plan.skipped.length, 0);
});

test('disabled, proxy-disabled, forbidden and validation-blocked accounts are never called', () => {
  const forbidden = account('forbidden');
  forbidden.quota = { ...(forbidden.quota as NonNullable<Account['quota']>), is_forbidden: true };
  const plan = planWarmUp(
    input({
      accounts: [
        account('disabled', { disabled: true, disabled_reason: 'invalid_grant' }),
        account('switched-off', { proxy_disabled: true, proxy_disabled_reason: 'manual' }),
        forbidden,
        account('blocked', { validation_blocked: true, validation_blocked_until: Math.floor(t0 / 1000) + 600 }),
        account('fine'),
      ],
    }),
  );
  assert.deepEqual(pairs(plan), ['fine claude-sonnet-4-6', 'fine gemini-3-flash']);
  const reasons = new Map(plan.skipped.map((skip) => [skip.accountId, skip.reason]));
  assert.match(reasons.get('disabled') ?? '', /^account disabled/);
  assert.match(reasons.get('switched-off') ?? '', /^account proxy-disabled/);
  assert.match(reasons.get('forbidden') ?? '', /^account forbidden/);
  assert.match(reasons.get('blocked') ?? '', /^account validation-blocked/);
});

test('an account cooling down as a whole is skipped; a family cooling down is skipped alone', () => {
  const live = new Map<string, WarmUpLiveState>([
    ['whole', { state: 'cooling', untilMs: t0 + 60_000, reason: 'SERVER_ERROR', coolingModels: new Set() }],
    ['flash', { state: 'cooling', coolingModels: new Set(['gemini-3-flash']) }],
  ]);
  const plan = planWarmUp(input({ accounts: [account('whole'), account('flash')], live }));
  assert.deepEqual(pairs(plan), ['flash claude-sonnet-4-6']);
  assert.deepEqual(
    plan.skipped.map((skip) => [skip.accountId, skip.family ?? '*']),
    [
      ['whole', '*'],
      ['flash', 'gemini-3-flash'],
    ],
  );
  assert.match(plan.skipped[1]?.reason ?? '', /cooling/);
});

test('a quota-protected family is skipped while protection is on', () => {
  const low = account('low');
  low.quota = {
    ...(low.quota as NonNullable<Account['quota']>),
    models: [model('claude-sonnet-4-6', 5, t0 + hour), model('gemini-3-flash', 100, t0 + windowMs)],
  };
  const plan = planWarmUp(
    input({
      accounts: [low],
      protection: { enabled: true, thresholdPercentage: 10, monitoredModels: ['claude'] },
    }),
  );
  assert.deepEqual(pairs(plan), ['low gemini-3-flash']);
  assert.equal(plan.skipped[0]?.reason, 'quota-protected');
});

test('not again before the reset, again once the reset time has passed (fake clock)', () => {
  const accounts = [account('a')];
  const first = planWarmUp(input({ accounts }));
  assert.equal(first.calls.length, 2);
  const lastWarmUps = new Map(first.calls.map((call) => [warmUpKey(call.accountId, call.family), t0]));

  for (const later of [t0 + 10 * 60_000, t0 + 2 * hour, t0 + windowMs - 60_000]) {
    const again = planWarmUp(input({ accounts, lastWarmUps, nowMs: later }));
    assert.deepEqual(pairs(again), [], `nothing at +${(later - t0) / 60_000} min`);
  }

  // The snapshot still says "resets at t0 + 5 h": once that has passed, the window has reset.
  const afterReset = planWarmUp(input({ accounts, lastWarmUps, nowMs: t0 + windowMs + 60_000 }));
  assert.deepEqual(pairs(afterReset), ['a claude-sonnet-4-6', 'a gemini-3-flash']);
  assert.match(afterReset.calls[0]?.reason ?? '', /window reset/);

  // …and only once per reset; without a newer snapshot, again one window length after that warm-up.
  const warmedAgain = new Map([...lastWarmUps].map(([key]) => [key, t0 + windowMs + 60_000]));
  assert.deepEqual(
    pairs(planWarmUp(input({ accounts, lastWarmUps: warmedAgain, nowMs: t0 + windowMs + 2 * 60_000 }))),
    [],
  );
  const afterThat = planWarmUp(input({ accounts, lastWarmUps: warmedAgain, nowMs: t0 + 2 * windowMs + 60_000 }));
  assert.deepEqual(pairs(afterThat), ['a claude-sonnet-4-6', 'a gemini-3-flash']);
  assert.match(afterThat.calls[0]?.reason ?? '', /ended/);
});

test('a running window (used quota, reset ahead) waits for its reset; a spent weekly bucket too', () => {
  const used = account('used');
  used.quota = {
    ...(used.quota as NonNullable<Account['quota']>),
    models: [model('claude-sonnet-4-6', 60, t0 + 2 * hour), model('gemini-3-flash', 100, t0 + windowMs)],
  };
  const weekly = account('weekly');
  weekly.quota = {
    ...(weekly.quota as NonNullable<Account['quota']>),
    quota_groups: [
      {
        display_name: 'Claude',
        buckets: [{ bucket_id: '3p-weekly', window: 'weekly', remaining_fraction: 0, reset_time: iso(t0 + 72 * hour) }],
      },
    ],
  };
  const plan = planWarmUp(input({ accounts: [used, weekly] }));
  assert.deepEqual(pairs(plan), ['used gemini-3-flash', 'weekly gemini-3-flash']);
  const reasons = plan.skipped.map((skip) => `${skip.accountId}: ${skip.reason}`);
  assert.match(reasons[0] ?? '', /^used: window running \(60% left/);
  assert.match(reasons[1] ?? '', /^weekly: quota spent \(weekly window/);

  // After the weekly reset the bucket no longer holds the family back.
  const later = planWarmUp(input({ accounts: [weekly], nowMs: t0 + 72 * hour + 1 }));
  assert.deepEqual(pairs(later), ['weekly claude-sonnet-4-6', 'weekly gemini-3-flash']);
});

test('an unknown window is warmed at most once per window length', () => {
  const unknown = account('unknown', { quota: null });
  const first = planWarmUp(input({ accounts: [unknown] }));
  // Without a snapshot the family's own upstream model is used (Claude: Sonnet).
  assert.deepEqual(pairs(first), ['unknown claude-sonnet-4-6', 'unknown gemini-3-flash']);
  const lastWarmUps = new Map(first.calls.map((call) => [warmUpKey(call.accountId, call.family), t0]));
  assert.deepEqual(pairs(planWarmUp(input({ accounts: [unknown], lastWarmUps, nowMs: t0 + windowMs - 1 }))), []);
  assert.equal(planWarmUp(input({ accounts: [unknown], lastWarmUps, nowMs: t0 + windowMs })).calls.length, 2);
});

test('a family the account does not offer is skipped; a retired id is called by its replacement', () => {
  const plan = planWarmUp(
    input({ accounts: [account('a')], families: ['gemini-3.1-flash-image', 'gemini-3-pro-high'] }),
  );
  assert.deepEqual(pairs(plan), []);
  assert.deepEqual(
    plan.skipped.map((skip) => skip.reason),
    ['the account does not offer this family', 'the account does not offer this family'],
  );
  const pro = account('pro');
  pro.quota = { ...(pro.quota as NonNullable<Account['quota']>), models: [model('gemini-pro-agent', 100, t0 + hour)] };
  assert.deepEqual(pairs(planWarmUp(input({ accounts: [pro], families: ['gemini-3-pro-high'] }))), [
    'pro gemini-pro-agent',
  ]);
});

test('only the accounts asked for', () => {
  const plan = planWarmUp(input({ accounts: [account('a'), account('b')], accountIds: new Set(['b']) }));
  assert.deepEqual(pairs(plan), ['b claude-sonnet-4-6', 'b gemini-3-flash']);
});
