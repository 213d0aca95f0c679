/**
 * Token persistence off the request's path: a refreshed token is written to the account file in the background;
 * only a rotated refresh token is made durable (recordRotation: the journal, no lock) before anyone uses the new
 * access token. Writes of one account stay in order, and a rotation is saved even if the account left the pool
 * while Google answered.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PoolStorage, RefreshResult } from '../../src/pool/ports.ts';
import { createFakeStorage, createTestPool, deferred, makeAccount, ok, startMs } from './helpers.ts';

const expiring = { expiry_timestamp: Math.floor(startMs / 1000) + 120 };

/** Fake storage whose account-file writes wait for `gate` (a slow or busy store lock). */
function slowFileStorage(gate: Promise<void>) {
  const storage = createFakeStorage();
  const order: string[] = [];
  const slow: PoolStorage = {
    ...storage,
    recordRotation: async (...args) => {
      order.push('recordRotation');
      await storage.recordRotation(...args);
    },
    persistToken: async (...args) => {
      order.push('persistToken:start');
      await gate;
      await storage.persistToken(...args);
      order.push('persistToken:done');
    },
  };
  return { storage, slow, order };
}

describe('token persistence', () => {
  test('a refresh that keeps the refresh token does not wait for the account file', async () => {
    const gate = deferred<void>();
    const { slow, order } = slowFileStorage(gate.promise);
    const { pool, tokens } = createTestPool({}, { storage: slow });
    tokens.script = () => ({ accessToken: 'at-new', expiresInSeconds: 3599 });
    pool.load([makeAccount('a', {}, expiring)]);
    const used = await pool.execute({ model: 'claude' }, async (lease) => ok(lease.accessToken));
    assert.equal(used, 'at-new', 'the request used the new token while the file write still waited');
    assert.deepEqual(order, ['persistToken:start']);
    gate.resolve();
    await pool.settle();
    assert.deepEqual(order, ['persistToken:start', 'persistToken:done']);
  });

  test('a rotated refresh token is recorded durably before use; the file write follows in the background', async () => {
    const gate = deferred<void>();
    const { slow, order, storage } = slowFileStorage(gate.promise);
    const { pool, tokens } = createTestPool({}, { storage: slow });
    tokens.script = () => ({ accessToken: 'at-new', expiresInSeconds: 3599, refreshToken: '1//rt-rotated' });
    pool.load([makeAccount('a', {}, expiring)]);
    const used = await pool.execute({ model: 'claude' }, async (lease) => {
      assert.equal(storage.of('recordRotation').length, 1, 'the rotation is durable before the token is used');
      return ok(lease.accessToken);
    });
    assert.equal(used, 'at-new');
    const recorded = storage.of('recordRotation')[0]?.args[1] as Record<string, unknown>;
    assert.equal(recorded['refreshToken'], '1//rt-rotated');
    assert.equal(recorded['basedOnRefreshToken'], '1//rt-a');
    assert.deepEqual(order, ['recordRotation', 'persistToken:start']);
    gate.resolve();
    await pool.settle();
  });

  test('the next refresh of an account waits until the previous token write has landed', async () => {
    const gate = deferred<void>();
    const { slow } = slowFileStorage(gate.promise);
    const { pool, tokens } = createTestPool({}, { storage: slow });
    tokens.script = (_request, call) => ({ accessToken: `at-${call}`, expiresInSeconds: 3599 });
    pool.load([makeAccount('a', {}, expiring)]);
    assert.equal(await pool.accessTokenFor('a'), 'at-1');
    const forced = pool.accessTokenFor('a', { force: true, staleToken: 'at-1' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(tokens.calls.length, 1, 'no second refresh while the first token is still being written');
    gate.resolve();
    assert.equal(await forced, 'at-2');
    assert.equal(tokens.calls.length, 2);
  });

  test('a rotation that arrives after the account was switched off is still saved', async () => {
    const { pool, tokens, storage } = createTestPool();
    const answer = deferred<RefreshResult>();
    tokens.script = () => answer.promise;
    pool.load([makeAccount('a', {}, expiring)]);
    const token = pool.accessTokenFor('a');
    await new Promise((resolve) => setImmediate(resolve));
    // Switched off while Google was answering: the same credentials, out of the pool.
    pool.load([makeAccount('a', { proxy_disabled: true, proxy_disabled_reason: 'by hand' }, expiring)]);
    answer.resolve({ accessToken: 'at-new', expiresInSeconds: 3599, refreshToken: '1//rt-rotated' });
    assert.equal(await token, undefined, 'the account left the pool');
    await pool.settle();
    assert.equal(storage.of('recordRotation').length, 1);
    const written = storage.of('persistToken')[0]!.args[1] as Record<string, unknown>;
    assert.equal(written['refreshToken'], '1//rt-rotated');
  });
});
