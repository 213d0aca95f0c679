import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rejection } from '../support/rejection.ts';
import {
  createTestPool,
  httpFailure,
  makeAccount,
  ok,
  quotaExhausted,
  rateLimitedWithoutHint,
  startMs,
  withTier,
} from './helpers.ts';

const five = () => ['a', 'b', 'c', 'd', 'e'].map((id) => makeAccount(id));

describe('rotation loop', () => {
  test('when every account ends limited, Retry-After is the shortest cooldown, not the last account’s hint', async () => {
    const { pool } = createTestPool();
    pool.load(['a', 'b'].map((id) => makeAccount(id)));
    // Whichever account comes first resets in 1 h; the last one tried hints 2 h.
    const error = await rejection(
      pool.execute({ model: 'claude-opus-4-6' }, async (lease) =>
        httpFailure(429, quotaExhausted(lease.attempt === 1 ? '1h' : '2h')),
      ),
    );
    assert.equal(error.status, 429);
    assert.ok(Math.abs((error.retryAfterSeconds ?? 0) - 3_600) <= 60, String(error.retryAfterSeconds));
  });

  test('five accounts answering 429 with a 3 h reset: one round, then AGW_ALL_ACCOUNTS_LIMITED until the reset', async () => {
    const { pool, clock, storage } = createTestPool();
    pool.load(five());
    const calls: string[] = [];
    const attempt = async (lease: { accountId: string }) => {
      calls.push(lease.accountId);
      return httpFailure(429, quotaExhausted('3h'));
    };
    const first = await rejection(pool.execute({ model: 'claude-opus-4-6' }, attempt));
    assert.equal(first.code, 'AGW_ATTEMPTS_EXHAUSTED');
    const second = await rejection(pool.execute({ model: 'claude-opus-4-6' }, attempt));
    assert.equal(second.code, 'AGW_UPSTREAM_RATE_LIMITED');
    assert.equal(new Set(calls).size, 5);
    assert.equal(calls.length, 5);
    for (let index = 0; index < 20; index += 1) {
      clock.nowMs += 60_000;
      const error = await rejection(pool.execute({ model: 'claude-opus-4-6' }, attempt));
      assert.equal(error.code, 'AGW_ALL_ACCOUNTS_LIMITED');
    }
    assert.equal(calls.length, 5, 'no attempt before the reset');
    clock.nowMs = startMs + 60_000;
    const limited = await rejection(pool.execute({ model: 'claude-sonnet-4-6' }, attempt));
    assert.equal(limited.code, 'AGW_ALL_ACCOUNTS_LIMITED');
    assert.ok(Math.abs((limited.retryAfterSeconds ?? 0) - 10_800) <= 60, String(limited.retryAfterSeconds));
    assert.equal(storage.of('recordQuotaExhausted').length, 5);
    // Other model families are not affected by a per-model cooldown.
    assert.equal(await pool.execute({ model: 'gemini-3-flash' }, async () => ok('flash')), 'flash');
    clock.nowMs = startMs + 3 * 3_600_000 + 1_000;
    assert.equal(await pool.execute({ model: 'claude-opus-4-6' }, async () => ok('back')), 'back');
    assert.equal(clock.sleeps.length, 0, 'never slept');
  });

  test('capacity errors rotate at once to another account and the request succeeds', async () => {
    const { pool, clock } = createTestPool({ strategy: 'round-robin' });
    pool.load([makeAccount('a'), makeAccount('b')]);
    const capacity = {
      error: {
        code: 429,
        message: 'No capacity available for model',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'MODEL_CAPACITY_EXHAUSTED' }],
      },
    };
    const calls: string[] = [];
    const value = await pool.execute({ model: 'gemini-3-pro-high' }, async (lease) => {
      calls.push(lease.accountId);
      return calls.length === 1 ? httpFailure(429, capacity) : ok('done');
    });
    assert.equal(value, 'done');
    assert.deepEqual(calls, ['a', 'b']);
    assert.deepEqual(clock.sleeps, []);
  });

  test('a 429 with a short reset hint waits and retries the same account', async () => {
    const { pool, clock } = createTestPool({ strategy: 'round-robin' });
    pool.load([makeAccount('a'), makeAccount('b')]);
    const calls: string[] = [];
    const value = await pool.execute({ model: 'claude' }, async (lease) => {
      calls.push(lease.accountId);
      return calls.length === 1 ? httpFailure(429, 'slow down', { 'retry-after': '1' }) : ok('same');
    });
    assert.equal(value, 'same');
    assert.deepEqual(calls, ['a', 'a']);
    assert.deepEqual(clock.sleeps, [1000]);
  });

  test('no sleep after the final attempt', async () => {
    const { pool, clock } = createTestPool({ maxAttempts: 2 });
    pool.load([makeAccount('a')]);
    const error = await rejection(
      pool.execute({ model: 'claude' }, async () => httpFailure(429, 'slow', { 'retry-after': '1' })),
    );
    assert.equal(error.code, 'AGW_ATTEMPTS_EXHAUSTED');
    assert.deepEqual(clock.sleeps, [1000]);
  });

  test('400 and 404 are the client’s errors: no rotation, no cooldown', async () => {
    const { pool } = createTestPool();
    pool.load([makeAccount('a'), makeAccount('b')]);
    let calls = 0;
    const bad = await rejection(
      pool.execute({ model: 'claude' }, async () => {
        calls += 1;
        return httpFailure(400, { error: { code: 400, message: 'Invalid argument' } });
      }),
    );
    assert.equal(bad.code, 'AGW_UPSTREAM_BAD_REQUEST');
    assert.equal(bad.message, 'Invalid argument');
    const missing = await rejection(pool.execute({ model: 'nope' }, async () => httpFailure(404, 'model not found')));
    assert.equal(missing.code, 'AGW_UPSTREAM_NOT_FOUND');
    assert.equal(calls, 1);
    assert.ok(pool.status().every((account) => account.state === 'active'));
  });

  test('a committed failure is never retried', async () => {
    const { pool } = createTestPool();
    pool.load([makeAccount('a'), makeAccount('b')]);
    let calls = 0;
    const error = await rejection(
      pool.execute({ model: 'claude' }, async () => {
        calls += 1;
        return { ok: false, failure: { kind: 'network', message: 'reset mid-stream', committed: true } };
      }),
    );
    assert.equal(error.code, 'AGW_UPSTREAM_UNREACHABLE');
    assert.equal(calls, 1);
  });

  test('5xx rotates with a short account cooldown; a network error retries the same lone account after a pause', async () => {
    const { pool, clock } = createTestPool({ strategy: 'round-robin' });
    pool.load([makeAccount('a'), makeAccount('b')]);
    const calls: string[] = [];
    await pool.execute({ model: 'claude' }, async (lease) => {
      calls.push(lease.accountId);
      return calls.length === 1 ? httpFailure(503, 'unavailable') : ok(1);
    });
    assert.deepEqual(calls, ['a', 'b']);
    assert.equal(pool.status().find((account) => account.id === 'a')?.state, 'cooling');

    const lone = createTestPool();
    lone.pool.load([makeAccount('x')]);
    let attempts = 0;
    const value = await lone.pool.execute({ model: 'claude' }, async () => {
      attempts += 1;
      return attempts === 1
        ? { ok: false, failure: { kind: 'network', message: 'ECONNRESET', committed: false } }
        : ok('x');
    });
    assert.equal(value, 'x');
    assert.equal(lone.clock.sleeps.length, 1);
    assert.equal(clock.sleeps.length, 0);
  });

  test('403 VALIDATION_REQUIRED: timed block with URL, not forbidden; it comes back after the block', async () => {
    const { pool, storage, clock } = createTestPool({ strategy: 'round-robin' });
    pool.load([makeAccount('a'), makeAccount('b')]);
    const body = {
      error: {
        code: 403,
        message: 'Verify your account to continue.',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'VALIDATION_REQUIRED',
            metadata: { validation_url: 'https://accounts.google.com/verify' },
          },
        ],
      },
    };
    await pool.execute({ model: 'claude' }, async (lease) =>
      lease.accountId === 'a' ? httpFailure(403, body) : ok(1),
    );
    const status = pool.status().find((account) => account.id === 'a');
    assert.equal(status?.state, 'validation-blocked');
    assert.equal(status?.url, 'https://accounts.google.com/verify');
    assert.equal(storage.of('markForbidden').length, 0);
    assert.equal(storage.of('setValidationBlock')[0]?.args[3], 'https://accounts.google.com/verify');
    clock.nowMs += 1_800_001;
    assert.equal(pool.status().find((account) => account.id === 'a')?.state, 'active');
    assert.equal(storage.of('clearValidationBlock').length, 1);
  });

  test('other 403: marked forbidden with the reason, out of the pool', async () => {
    const { pool, storage } = createTestPool({ strategy: 'round-robin' });
    pool.load([makeAccount('a'), makeAccount('b')]);
    await pool.execute({ model: 'claude' }, async (lease) =>
      lease.accountId === 'a' ? httpFailure(403, { error: { code: 403, message: 'Permission denied' } }) : ok(1),
    );
    assert.deepEqual(storage.of('markForbidden')[0]?.args, ['a', 'Permission denied']);
    assert.equal(pool.size, 1);
    assert.equal(pool.status().find((account) => account.id === 'a')?.state, 'forbidden');
  });

  test('maxWaitSeconds waits for the shortest cooldown instead of answering at once', async () => {
    const { pool, clock } = createTestPool({ maxWaitSeconds: 60 });
    pool.load([makeAccount('a')]);
    await rejection(pool.execute({ model: 'claude' }, async () => httpFailure(429, quotaExhausted('30s'))));
    const value = await pool.execute({ model: 'claude' }, async () => ok('waited'));
    assert.equal(value, 'waited');
    assert.deepEqual(clock.sleeps, [30_000]);
  });

  test('circuit breaker off: no cooldown is recorded, rotation only', async () => {
    const { pool } = createTestPool({ circuitBreaker: { enabled: false, backoffSteps: [60] } });
    pool.load([makeAccount('a')]);
    let calls = 0;
    const attempt = async () => {
      calls += 1;
      return httpFailure(429, quotaExhausted('3h'));
    };
    await rejection(pool.execute({ model: 'claude' }, attempt));
    await rejection(pool.execute({ model: 'claude' }, attempt));
    assert.equal(calls, 4);
    assert.ok(pool.status().every((account) => account.cooldowns.length === 0));
  });

  test('the deadline stops the loop and an aborted signal stops it at once', async () => {
    const { pool, clock } = createTestPool({ requestDeadlineMs: 1_000, strategy: 'round-robin' });
    pool.load([makeAccount('a'), makeAccount('b')]);
    const error = await rejection(
      pool.execute({ model: 'claude' }, async () => {
        clock.nowMs += 2_000;
        return httpFailure(503, 'slow');
      }),
    );
    assert.equal(error.code, 'AGW_DEADLINE_EXCEEDED');
    const controller = new AbortController();
    controller.abort(new Error('client went away'));
    await assert.rejects(
      pool.execute({ model: 'claude', signal: controller.signal }, async () => ok(1)),
      /client went away/,
    );
  });

  test('no accounts → AGW_NO_ACCOUNTS; quota protection holds a model back', async () => {
    const empty = createTestPool();
    assert.equal((await rejection(empty.pool.execute({ model: 'claude' }, async () => ok(1)))).code, 'AGW_NO_ACCOUNTS');
    const { pool, logger } = createTestPool({
      quotaProtection: { enabled: true, thresholdPercentage: 10, monitoredModels: ['claude'] },
    });
    pool.load([makeAccount('low', withTier('PRO', { 'claude-sonnet-4-6': 5, 'gemini-3-flash': 80 }))]);
    assert.equal((await rejection(pool.execute({ model: 'claude-opus' }, async () => ok(1)))).code, 'AGW_NO_ACCOUNTS');
    assert.equal(await pool.execute({ model: 'gemini-3-flash' }, async () => ok('flash')), 'flash');
    assert.deepEqual(pool.status()[0]?.protectedModels, ['claude']);
    assert.ok(logger.lines.some((line) => line.message.startsWith('Account pool loaded')));
  });
});

describe('sticky sessions', () => {
  test('a session stays on its account and moves when that account cools down', async () => {
    const { pool } = createTestPool();
    pool.load(['a', 'b', 'c', 'd'].map((id) => makeAccount(id)));
    const first = await pool.execute({ model: 'claude', sessionKey: 's1' }, async (lease) => ok(lease.accountId));
    for (let index = 0; index < 10; index += 1) {
      assert.equal(
        await pool.execute({ model: 'claude', sessionKey: 's1' }, async (lease) => ok(lease.accountId)),
        first,
      );
    }
    const moved = await pool.execute({ model: 'claude', sessionKey: 's1' }, async (lease) =>
      lease.accountId === first ? httpFailure(429, quotaExhausted('1h')) : ok(lease.accountId),
    );
    assert.notEqual(moved, first);
    for (let index = 0; index < 5; index += 1) {
      assert.equal(
        await pool.execute({ model: 'claude', sessionKey: 's1' }, async (lease) => ok(lease.accountId)),
        moved,
      );
    }
  });

  test('a binding expires after the TTL', async () => {
    const { pool, clock } = createTestPool({ stickyTtlSeconds: 60 });
    pool.load(['a', 'b', 'c', 'd', 'e', 'f'].map((id) => makeAccount(id)));
    const seen = new Set<string>();
    for (let index = 0; index < 30; index += 1) {
      clock.nowMs += 61_000;
      seen.add(await pool.execute({ model: 'claude', sessionKey: 's' }, async (lease) => ok(lease.accountId)));
    }
    assert.ok(seen.size > 1);
  });
});

describe('poisoned requests', () => {
  test('the same request rejected by K accounts in a row while others succeed: failed alone, no cooldowns left', async () => {
    const { pool, events } = createTestPool({ poisonThreshold: 3 });
    pool.load(five());
    await pool.execute({ model: 'claude', requestFingerprint: 'healthy' }, async () => ok('fine'));
    const poisonedCalls: string[] = [];
    const error = await rejection(
      pool.execute({ model: 'claude', requestFingerprint: 'bad' }, async (lease) => {
        poisonedCalls.push(lease.accountId);
        return httpFailure(429, rateLimitedWithoutHint());
      }),
    );
    assert.equal(error.code, 'AGW_POISONED_REQUEST');
    assert.equal(new Set(poisonedCalls).size, 3);
    assert.ok(pool.status().every((account) => account.cooldowns.length === 0 && account.state === 'active'));
    assert.ok(events.some((event) => event.type === 'poisoned'));
    // Retried by the client: one attempt, fails alone, still no cooldown.
    let again = 0;
    const second = await rejection(
      pool.execute({ model: 'claude', requestFingerprint: 'bad' }, async () => {
        again += 1;
        return httpFailure(429, rateLimitedWithoutHint());
      }),
    );
    assert.equal(second.code, 'AGW_POISONED_REQUEST');
    assert.equal(again, 1);
    assert.ok(pool.status().every((account) => account.cooldowns.length === 0));
    assert.equal(await pool.execute({ model: 'claude', requestFingerprint: 'other' }, async () => ok('ok')), 'ok');
  });

  test('a lazy fingerprint is computed only when a failure needs it, and still isolates a poisoned request', async () => {
    const { pool } = createTestPool({ poisonThreshold: 3 });
    pool.load(five());
    let hashed = 0;
    const lazy = (name: string) => () => {
      hashed += 1;
      return name;
    };
    await pool.execute({ model: 'claude', requestFingerprint: lazy('healthy') }, async () => ok('fine'));
    assert.equal(hashed, 0, 'the happy path never hashes the prompt');
    const error = await rejection(
      pool.execute({ model: 'claude', requestFingerprint: lazy('bad') }, async () =>
        httpFailure(429, rateLimitedWithoutHint()),
      ),
    );
    assert.equal(error.code, 'AGW_POISONED_REQUEST');
    assert.equal(hashed, 1, 'computed once for the whole request');
  });

  test('without successes elsewhere a 429 with no reason at all (prompt filter) fails the request and cools no account', async () => {
    const { pool } = createTestPool({ poisonThreshold: 3 });
    pool.load(five());
    const error = await rejection(
      pool.execute({ model: 'claude', requestFingerprint: 'bad' }, async () =>
        httpFailure(429, rateLimitedWithoutHint()),
      ),
    );
    assert.equal(error.code, 'AGW_UPSTREAM_PROMPT_FILTERED');
    assert.equal(pool.status().filter((account) => account.state === 'cooling').length, 0);
  });

  test('without successes elsewhere a rate limit without reset is a real rate limit, not poison', async () => {
    const { pool } = createTestPool({ poisonThreshold: 3 });
    pool.load(five());
    const limited = {
      error: {
        code: 429,
        message: 'Too many requests per minute.',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RATE_LIMIT_EXCEEDED' }],
      },
    };
    const error = await rejection(
      pool.execute({ model: 'claude', requestFingerprint: 'bad' }, async () => httpFailure(429, limited)),
    );
    assert.equal(error.code, 'AGW_ATTEMPTS_EXHAUSTED');
    assert.equal(pool.status().filter((account) => account.state === 'cooling').length, 3);
  });

  test('accounts really out of quota (429 QUOTA_EXHAUSTED with a 3 h reset) are never taken for poison', async () => {
    const { pool, clock, events } = createTestPool({ poisonThreshold: 3 });
    pool.load(['a', 'b', 'c'].map((id) => makeAccount(id)));
    // Other requests succeeded minutes before: the condition under which a poisoned request is judged.
    await pool.execute({ model: 'claude', requestFingerprint: 'earlier' }, async () => ok('fine'));
    clock.nowMs += 120_000;
    const calls: string[] = [];
    const exhausted = async (lease: { accountId: string }) => {
      calls.push(lease.accountId);
      return httpFailure(429, quotaExhausted('3h'));
    };
    const error = await rejection(pool.execute({ model: 'claude', requestFingerprint: 'same' }, exhausted));
    assert.equal(error.status, 429, `${error.code}: ${error.message}`);
    assert.notEqual(error.code, 'AGW_POISONED_REQUEST');
    assert.ok(Math.abs((error.retryAfterSeconds ?? 0) - 10_800) <= 60, String(error.retryAfterSeconds));
    assert.equal(new Set(calls).size, 3);
    assert.ok(!events.some((event) => event.type === 'poisoned'));
    assert.ok(
      pool.status().every((account) => account.state === 'cooling'),
      'every real cooldown stays',
    );
    // The same request, retried by the client: no account is asked again before the reset.
    for (let index = 0; index < 5; index += 1) {
      clock.nowMs += 10_000;
      const again = await rejection(pool.execute({ model: 'claude', requestFingerprint: 'same' }, exhausted));
      assert.equal(again.code, 'AGW_ALL_ACCOUNTS_LIMITED');
      assert.ok(Math.abs((again.retryAfterSeconds ?? 0) - 10_800) <= 120, String(again.retryAfterSeconds));
    }
    assert.equal(calls.length, 3, 'no upstream call to an exhausted account');
  });

  test('a poisoned verdict only undoes the cooldowns the request caused, never a real one', async () => {
    const { pool, events } = createTestPool({ poisonThreshold: 2 });
    pool.load(five());
    await pool.execute({ model: 'claude', requestFingerprint: 'healthy' }, async () => ok('fine'));
    // The first account tried is really out of quota; the others reject the request without naming a quota.
    let first: string | undefined;
    const error = await rejection(
      pool.execute({ model: 'claude', requestFingerprint: 'bad' }, async (lease) => {
        first ??= lease.accountId;
        return lease.accountId === first
          ? httpFailure(429, quotaExhausted('3h'))
          : httpFailure(429, rateLimitedWithoutHint());
      }),
    );
    assert.equal(error.code, 'AGW_POISONED_REQUEST');
    assert.ok(events.some((event) => event.type === 'poisoned'));
    const cooling = pool.status().filter((account) => account.state === 'cooling');
    assert.deepEqual(
      cooling.map((account) => account.id),
      [first],
      'only the exhausted account cools down',
    );
  });
});
