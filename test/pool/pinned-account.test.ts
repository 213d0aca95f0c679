/**
 * A request pinned to one account (ExecuteRequest.accountId, used by the warm-up): that account only, one
 * attempt, no rotation and no retry, while its failure still has its usual effect on the account.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rejection } from '../support/rejection.ts';
import { createTestPool, httpFailure, makeAccount, ok, quotaExhausted } from './helpers.ts';

test('a pinned request runs on that account, whatever the strategy would pick', async () => {
  const { pool } = createTestPool({ strategy: 'round-robin' });
  pool.load(['a', 'b', 'c'].map((id) => makeAccount(id)));
  const served: string[] = [];
  for (const id of ['c', 'c', 'b']) {
    await pool.execute({ model: 'gemini-3-flash', accountId: id }, async (lease) => {
      served.push(lease.accountId);
      return ok(null);
    });
  }
  assert.deepEqual(served, ['c', 'c', 'b']);
});

test('a failure on the pinned account is not retried elsewhere, and cools that account down for the model', async () => {
  const { pool } = createTestPool();
  pool.load(['a', 'b'].map((id) => makeAccount(id)));
  const served: string[] = [];
  const error = await rejection(
    pool.execute({ model: 'gemini-3-flash', accountId: 'a' }, async (lease) => {
      served.push(lease.accountId);
      return httpFailure(429, quotaExhausted('3h'));
    }),
  );
  assert.deepEqual(served, ['a'], 'one attempt, on a only');
  assert.equal(error.status, 429);
  const status = pool.status().find((entry) => entry.id === 'a');
  assert.deepEqual(
    status?.cooldowns.map((cooldown) => cooldown.model),
    ['gemini-3-flash'],
  );

  // While it cools down, a pinned request makes no attempt at all.
  const again = await rejection(
    pool.execute({ model: 'gemini-3-flash', accountId: 'a' }, async () => {
      served.push('again');
      return ok(null);
    }),
  );
  assert.equal(again.code, 'AGW_ALL_ACCOUNTS_LIMITED');
  assert.ok(Math.abs((again.retryAfterSeconds ?? 0) - 3 * 3600) <= 60, String(again.retryAfterSeconds));
  assert.deepEqual(served, ['a']);
});

test('a pinned request for an account the pool does not hold fails without an attempt', async () => {
  const { pool } = createTestPool();
  pool.load([makeAccount('a'), makeAccount('gone', { disabled: true })]);
  for (const id of ['gone', 'unknown']) {
    const error = await rejection(pool.execute({ model: 'claude-sonnet-4-6', accountId: id }, async () => ok(null)));
    assert.equal(error.code, 'AGW_ACCOUNT_NOT_FOUND');
  }
});
