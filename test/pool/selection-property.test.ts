/** Property: whatever the upstream answers, the pool never leases an account it must hold back, and never exceeds the bound. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { AttemptResult } from '../../src/pool/attempt-types.ts';
import { normalizeModelKey } from '../../src/pool/model-key.ts';
import { createTestPool, httpFailure, makeAccount, ok, quotaExhausted, startMs } from './helpers.ts';

const startKinds = [
  'usable',
  'disabled',
  'proxy-disabled',
  'validation-blocked',
  'forbidden',
  'expired-token',
] as const;
const answers = [
  'ok',
  '429-long',
  '429-short',
  '429-none',
  '500',
  '503',
  '401',
  '403-validation',
  '403',
  '400',
  'network',
  'timeout',
] as const;

function answer(kind: (typeof answers)[number]): AttemptResult<string> {
  switch (kind) {
    case 'ok':
      return ok('fine');
    case '429-long':
      return httpFailure(429, quotaExhausted('2h'));
    case '429-short':
      return httpFailure(429, 'slow down', { 'retry-after': '1' });
    case '429-none':
      return httpFailure(429, 'Too Many Requests');
    case '500':
      return httpFailure(500, 'boom');
    case '503':
      return httpFailure(503, 'unavailable');
    case '401':
      return httpFailure(401, 'bad token');
    case '403-validation':
      return httpFailure(403, 'VALIDATION_REQUIRED https://accounts.google.com/v');
    case '403':
      return httpFailure(403, 'denied');
    case '400':
      return httpFailure(400, 'bad request');
    case 'network':
      return { ok: false, failure: { kind: 'network', message: 'reset', committed: false } };
    case 'timeout':
      return { ok: false, failure: { kind: 'timeout', message: 'slow', committed: false } };
  }
}

function accountFor(id: string, kind: (typeof startKinds)[number]) {
  const nowUnix = Math.floor(startMs / 1000);
  switch (kind) {
    case 'usable':
      return makeAccount(id);
    case 'disabled':
      return makeAccount(id, { disabled: true, disabled_reason: 'invalid_grant: x' });
    case 'proxy-disabled':
      return makeAccount(id, { proxy_disabled: true, proxy_disabled_reason: 'manual' });
    case 'validation-blocked':
      return makeAccount(id, { validation_blocked: true, validation_blocked_until: nowUnix + 100_000 });
    case 'forbidden':
      return makeAccount(id, { quota: { models: [], last_updated: 1, is_forbidden: true } });
    case 'expired-token':
      return makeAccount(id, {}, { expiry_timestamp: nowUnix - 1 });
  }
}

test('random failure sequences never lease a held-back account and never exceed the attempt bound', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom(...startKinds), { minLength: 1, maxLength: 6 }),
      fc.array(
        fc.record({
          model: fc.constantFrom('claude-sonnet-4-6', 'gemini-3-flash', 'gemini-3-pro-high'),
          session: fc.option(fc.constantFrom('s1', 's2'), { nil: undefined }),
          advanceMs: fc.integer({ min: 0, max: 4 * 3_600_000 }),
          answers: fc.array(fc.constantFrom(...answers), { minLength: 1, maxLength: 8 }),
        }),
        { minLength: 1, maxLength: 15 },
      ),
      fc.constantFrom('sticky', 'round-robin', 'quota-aware') as fc.Arbitrary<'sticky' | 'round-robin' | 'quota-aware'>,
      async (kinds, requests, strategy) => {
        const { pool, clock } = createTestPool({ strategy, maxAttempts: 3 });
        const ids = kinds.map((_, index) => `acct-${index}`);
        pool.load(kinds.map((kind, index) => accountFor(ids[index] as string, kind)));
        const neverUsable = new Set(
          ids.filter((_, index) => ['disabled', 'proxy-disabled', 'forbidden'].includes(kinds[index] as string)),
        );
        // A validation block ends by itself; until then the account is held back.
        const blockedUntil = new Map(
          ids
            .filter((_, index) => kinds[index] === 'validation-blocked')
            .map((id) => [id, startMs + 100_000_000] as const),
        );
        for (const request of requests) {
          clock.nowMs += request.advanceMs;
          const sizeBefore = pool.size;
          const bound = Math.min(3, sizeBefore + 1);
          let attempts = 0;
          const violations: string[] = [];
          const modelKey = normalizeModelKey(request.model);
          await pool
            .execute(
              { model: request.model, ...(request.session === undefined ? {} : { sessionKey: request.session }) },
              async (lease) => {
                attempts += 1;
                // Recorded, not thrown: a throw inside the attempt would be swallowed with the request's rejection.
                const status = pool.status().find((account) => account.id === lease.accountId);
                if (neverUsable.has(lease.accountId)) violations.push(`leased held-back ${lease.accountId}`);
                if (clock.nowMs < (blockedUntil.get(lease.accountId) ?? 0))
                  violations.push('leased validation-blocked');
                if (status === undefined) violations.push('leased an unknown account');
                else {
                  if (!['active', 'cooling'].includes(status.state)) violations.push(`leased ${status.state}`);
                  if (status.untilMs !== undefined) violations.push('leased under an account-wide block');
                  if (status.cooldowns.some((cooldown) => cooldown.model === modelKey))
                    violations.push('leased while cooling');
                }
                const kind = request.answers[(attempts - 1) % request.answers.length] ?? 'ok';
                return answer(kind);
              },
            )
            .catch(() => undefined);
          assert.deepEqual(violations, []);
          assert.ok(attempts <= bound, `attempts ${attempts} > bound ${bound}`);
          // Accounts that left the pool at runtime (forbidden) are held back from now on.
          for (const status of pool.status()) if (status.state === 'forbidden') neverUsable.add(status.id);
        }
      },
    ),
    { numRuns: 150, seed: 20_260_301 },
  );
});
