/**
 * Several pools, one shared state (the in-memory hub stands in for Redis, whose implementation keeps the same
 * contract between processes): cooldowns and poison verdicts learned by one pool are honoured by the others, and a
 * refresh lease held elsewhere makes a pool take the stored token instead of refreshing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RefreshLease, StoredToken } from '../../src/pool/ports.ts';
import { createMemoryStateHub } from '../../src/pool/shared-state.ts';
import { rejection } from '../support/rejection.ts';
import {
  createTestPool,
  httpFailure,
  makeAccount,
  ok,
  quotaExhausted,
  rateLimitedWithoutHint,
  startMs,
} from './helpers.ts';

const accounts = () => ['a', 'b', 'c'].map((id) => makeAccount(id));

describe('shared pool state', () => {
  test('a 429 with a 3 h reset learned by one pool keeps the account out of every other pool until the reset', async () => {
    const hub = createMemoryStateHub();
    const first = createTestPool({ strategy: 'round-robin' }, { sharedState: hub.member() });
    const second = createTestPool({ strategy: 'round-robin' }, { sharedState: hub.member() });
    first.pool.load(accounts());
    second.pool.load(accounts());
    // Pool one meets the exhausted account (whichever it tries first is `a`), then serves from another.
    const tried: string[] = [];
    await first.pool.execute({ model: 'claude-opus-4-6' }, async (lease) => {
      tried.push(lease.accountId);
      return lease.accountId === 'a' ? httpFailure(429, quotaExhausted('3h')) : ok(lease.accountId);
    });
    assert.equal(tried[0], 'a');
    const used: string[] = [];
    for (let index = 0; index < 12; index += 1) {
      await second.pool.execute({ model: 'claude-opus-4-6' }, async (lease) => {
        used.push(lease.accountId);
        return ok(lease.accountId);
      });
    }
    assert.ok(!used.includes('a'), `the exhausted account was not called: ${used.join(',')}`);
    assert.equal(second.pool.status().find((account) => account.id === 'a')?.state, 'cooling');
    // The reset is an absolute time: past it, the other pool uses the account again.
    second.clock.nowMs = startMs + 3 * 3_600_000 + 60_000;
    const later: string[] = [];
    for (let index = 0; index < 6; index += 1) {
      await second.pool.execute({ model: 'claude-opus-4-6' }, async (lease) => {
        later.push(lease.accountId);
        return ok(lease.accountId);
      });
    }
    assert.ok(later.includes('a'), later.join(','));
  });

  test('a cooldown learned before the account reached a pool applies when it loads the account', async () => {
    const hub = createMemoryStateHub();
    const first = createTestPool({}, { sharedState: hub.member() });
    const second = createTestPool({ strategy: 'round-robin' }, { sharedState: hub.member() });
    first.pool.load([makeAccount('a')]);
    await rejection(first.pool.execute({ model: 'claude' }, async () => httpFailure(429, quotaExhausted('3h'))));
    second.pool.load([makeAccount('a'), makeAccount('b')]);
    const used: string[] = [];
    for (let index = 0; index < 4; index += 1) {
      await second.pool.execute({ model: 'claude' }, async (lease) => {
        used.push(lease.accountId);
        return ok(lease.accountId);
      });
    }
    assert.deepEqual([...new Set(used)], ['b']);
  });

  test('a poisoned request found by one pool fails alone in the others, after one attempt', async () => {
    const hub = createMemoryStateHub();
    const first = createTestPool({ poisonThreshold: 2 }, { sharedState: hub.member() });
    const second = createTestPool({ poisonThreshold: 2 }, { sharedState: hub.member() });
    first.pool.load(accounts());
    second.pool.load(accounts());
    await first.pool.execute({ model: 'claude', requestFingerprint: 'healthy' }, async () => ok('fine'));
    const poisoned = await rejection(
      first.pool.execute({ model: 'claude', requestFingerprint: 'bad' }, async () =>
        httpFailure(429, rateLimitedWithoutHint()),
      ),
    );
    assert.equal(poisoned.code, 'AGW_POISONED_REQUEST');
    let attempts = 0;
    await rejection(
      second.pool.execute({ model: 'claude', requestFingerprint: 'bad' }, async () => {
        attempts += 1;
        return httpFailure(429, rateLimitedWithoutHint());
      }),
    );
    assert.equal(attempts, 1, 'the other pool tried one account, not the whole pool');
  });

  test('while another gateway holds the refresh lease, the pool takes the token it stored and refreshes nothing', async () => {
    const stored: StoredToken = {
      accessToken: 'at-from-elsewhere',
      refreshToken: '1//rt-rotated',
      expiresAtMs: startMs + 3_600_000,
      disabled: false,
    };
    const waits: string[] = [];
    const lease: RefreshLease = {
      acquire: async () => false,
      release: async () => undefined,
      stored: async () => undefined,
      awaitStored: async (accountId) => {
        waits.push(accountId);
        return stored;
      },
    };
    const { pool, tokens } = createTestPool({}, { refreshLease: lease });
    pool.load([makeAccount('a', {}, { expiry_timestamp: Math.floor(startMs / 1000) - 10 })]);
    const token = await pool.accessTokenFor('a');
    assert.equal(token, 'at-from-elsewhere');
    assert.equal(tokens.calls.length, 0);
    assert.deepEqual(waits, ['a']);
  });

  test('an account another gateway disabled (invalid_grant) leaves this pool at once, without a refresh here', async () => {
    const lease: RefreshLease = {
      acquire: async () => false,
      release: async () => undefined,
      stored: async () => undefined,
      awaitStored: async () => ({ accessToken: 'at-a', refreshToken: '1//rt-a', expiresAtMs: 0, disabled: true }),
    };
    const { pool, tokens } = createTestPool({}, { refreshLease: lease });
    pool.load([makeAccount('a', {}, { expiry_timestamp: Math.floor(startMs / 1000) - 10 })]);
    const error = await rejection(pool.accessTokenFor('a'));
    assert.equal(error.code, 'AGW_REFRESH_REVOKED');
    assert.equal(tokens.calls.length, 0);
    assert.equal(pool.size, 0);
    assert.equal(pool.status().find((account) => account.id === 'a')?.state, 'disabled');
  });

  test('the lease holder releases only after the refreshed token is stored', async () => {
    const order: string[] = [];
    const lease: RefreshLease = {
      acquire: async () => {
        order.push('acquire');
        return true;
      },
      release: async () => {
        order.push('release');
      },
      stored: async () => undefined,
      awaitStored: async () => undefined,
    };
    const test = createTestPool({}, { refreshLease: lease });
    const persist = test.storage.persistToken;
    test.storage.persistToken = async (...args) => {
      order.push('persist');
      await persist(...args);
    };
    test.pool.load([makeAccount('a', {}, { expiry_timestamp: Math.floor(startMs / 1000) - 10 })]);
    await test.pool.accessTokenFor('a');
    await test.pool.settle();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, ['acquire', 'persist', 'release']);
    assert.equal(test.tokens.calls.length, 1);
  });

  test('a lease that is free because another gateway just finished: its stored token is taken, no refresh', async () => {
    const released: string[] = [];
    const lease: RefreshLease = {
      acquire: async () => true,
      release: async (accountId) => {
        released.push(accountId);
      },
      stored: async () => ({
        accessToken: 'at-just-refreshed',
        refreshToken: '1//rt-a',
        expiresAtMs: startMs + 3_600_000,
        disabled: false,
      }),
      awaitStored: async () => undefined,
    };
    const { pool, tokens } = createTestPool({}, { refreshLease: lease });
    pool.load([makeAccount('a', {}, { expiry_timestamp: Math.floor(startMs / 1000) - 10 })]);
    assert.equal(await pool.accessTokenFor('a'), 'at-just-refreshed');
    assert.equal(tokens.calls.length, 0);
    assert.deepEqual(released, ['a']);
  });
});
