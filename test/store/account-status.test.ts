import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Account, accountSchema } from '../../src/store/account-schema.ts';
import { quotaSummary, storedAccountStatus } from '../../src/store/account-status.ts';

const now = 1_700_000_000;
const base = (extra: Record<string, unknown> = {}): Account =>
  accountSchema.parse({
    id: 'id-1',
    email: 'a@example.com',
    token: { access_token: 'a', refresh_token: 'r', expires_in: 3599, expiry_timestamp: now + 3000 },
    created_at: now,
    last_used: now,
    ...extra,
  });

test('states are judged in load order: disabled before everything else', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{}, 'active'],
    [{ disabled: true, disabled_reason: 'invalid_grant: x', proxy_disabled: true }, 'disabled'],
    [
      { validation_blocked: true, validation_blocked_until: now + 60, validation_url: 'https://v' },
      'validation-blocked',
    ],
    [{ validation_blocked: true, validation_blocked_until: now - 60 }, 'active'],
    [{ proxy_disabled: true, proxy_disabled_reason: 'manual' }, 'proxy-disabled'],
    [{ quota: { models: [], last_updated: now, is_forbidden: true } }, 'forbidden'],
    [{ agw_error: 'no project' }, 'project-unresolved'],
  ];
  for (const [extra, expected] of cases)
    assert.equal(storedAccountStatus(base(extra), now).state, expected, JSON.stringify(extra));
  const disabled = storedAccountStatus(
    base({ disabled: true, disabled_reason: 'invalid_grant: revoked', disabled_at: now }),
    now,
  );
  assert.equal(disabled.reason, 'invalid_grant: revoked');
  assert.equal(disabled.since, now);
});

test('quota summary names the lowest model', () => {
  assert.equal(quotaSummary(base()), 'no quota data');
  const account = base({
    quota: {
      last_updated: now,
      subscription_tier: 'PRO',
      models: [
        { name: 'claude-sonnet-4-6', percentage: 80, reset_time: '' },
        { name: 'gemini-3-flash', percentage: 20, reset_time: '' },
      ],
    },
  });
  assert.equal(quotaSummary(account), 'PRO, 2 models, lowest gemini-3-flash 20%');
});
