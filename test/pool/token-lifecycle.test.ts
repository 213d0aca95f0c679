import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RefreshResult } from '../../src/pool/ports.ts';
import { createTestPool, deferred, httpFailure, makeAccount, ok, startMs } from './helpers.ts';

const expiring = { expiry_timestamp: Math.floor(startMs / 1000) + 120 };

describe('token lifecycle', () => {
  test('200 concurrent requests on an expiring token make exactly one refresh; the rotated token is persisted first', async () => {
    const { pool, tokens, storage } = createTestPool();
    const gate = deferred<RefreshResult>();
    tokens.script = () => gate.promise;
    pool.load([makeAccount('a', {}, expiring)]);
    const seen: string[] = [];
    const requests = Array.from({ length: 200 }, () =>
      pool.execute({ model: 'claude' }, async (lease) => {
        // The rotated refresh token must already be on disk when any request uses the new access token.
        assert.equal(storage.of('persistToken').length, 1);
        seen.push(lease.accessToken);
        return ok(lease.accessToken);
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    gate.resolve({ accessToken: 'at-new', expiresInSeconds: 3599, refreshToken: '1//rt-rotated' });
    await Promise.all(requests);
    assert.equal(tokens.calls.length, 1);
    assert.deepEqual(new Set(seen), new Set(['at-new']));
    const patch = storage.of('persistToken')[0]?.args[1] as Record<string, unknown>;
    assert.equal(patch['refreshToken'], '1//rt-rotated');
    assert.equal(patch['accessToken'], 'at-new');
    assert.equal(patch['basedOnRefreshToken'], '1//rt-a');
    assert.equal(patch['expiryTimestamp'], Math.floor(startMs / 1000) + 3599);
  });

  test('the next refresh uses the rotated refresh token (weakness 15)', async () => {
    const { pool, tokens, clock } = createTestPool();
    tokens.script = (_request, call) => ({
      accessToken: `at-${call}`,
      expiresInSeconds: 3599,
      refreshToken: `1//rt-${call}`,
    });
    pool.load([makeAccount('a', {}, expiring)]);
    await pool.execute({ model: 'claude' }, async () => ok(1));
    clock.nowMs += 3_500_000;
    await pool.execute({ model: 'claude' }, async () => ok(2));
    assert.deepEqual(
      tokens.calls.map((call) => call.refreshToken),
      ['1//rt-a', '1//rt-1'],
    );
  });

  test('a token with more than the margin left is not refreshed', async () => {
    const { pool, tokens } = createTestPool();
    pool.load([makeAccount('a', {}, { expiry_timestamp: Math.floor(startMs / 1000) + 301 })]);
    await pool.execute({ model: 'claude' }, async () => ok(1));
    assert.equal(tokens.calls.length, 0);
  });

  test('a late refresh result after a reload replaced the credentials is dropped', async () => {
    const { pool, tokens, storage, events } = createTestPool();
    const gate = deferred<RefreshResult>();
    tokens.script = () => gate.promise;
    pool.load([makeAccount('a', {}, expiring)]);
    const request = pool.execute({ model: 'claude' }, async (lease) => ok(lease.accessToken));
    await new Promise((resolve) => setImmediate(resolve));
    pool.load([makeAccount('a', {}, { access_token: 'at-user', refresh_token: '1//rt-user' })]);
    gate.resolve({ accessToken: 'at-stale', expiresInSeconds: 3599, refreshToken: '1//rt-stale' });
    assert.equal(await request, 'at-user');
    assert.equal(storage.of('persistToken').length, 0);
    assert.ok(events.some((event) => event.type === 'refresh' && event.outcome === 'stale'));
    assert.equal(await pool.execute({ model: 'claude' }, async (lease) => ok(lease.accessToken)), 'at-user');
  });

  test('a reload that read the file just before our refresh landed does not roll the token back', async () => {
    const { pool, tokens } = createTestPool();
    tokens.script = () => ({ accessToken: 'at-new', expiresInSeconds: 3599, refreshToken: '1//rt-new' });
    const original = makeAccount('a', {}, expiring);
    pool.load([original]);
    await pool.execute({ model: 'claude' }, async () => ok(1));
    pool.load([original]);
    assert.equal(await pool.execute({ model: 'claude' }, async (lease) => ok(lease.accessToken)), 'at-new');
    assert.equal(tokens.calls.length, 1);
  });

  test('401 with a valid-looking token: one forced refresh, retry on the same account, then cool down', async () => {
    const { pool, tokens } = createTestPool({ strategy: 'round-robin' });
    pool.load([makeAccount('a'), makeAccount('b')]);
    const leases: string[] = [];
    const value = await pool.execute({ model: 'claude' }, async (lease) => {
      leases.push(`${lease.accountId}:${lease.accessToken}`);
      if (lease.accountId === 'a') return httpFailure(401, 'Request had invalid authentication credentials.');
      return ok('b-served');
    });
    assert.equal(value, 'b-served');
    assert.deepEqual(leases, ['a:at-a', 'a:at-a-1', 'b:at-b']);
    assert.equal(tokens.calls.length, 1);
    const status = pool.status().find((account) => account.id === 'a');
    assert.equal(status?.state, 'cooling');
    assert.equal(status?.reason, 'Request had invalid authentication credentials.');
  });

  test('the project id is resolved once (single-flight); a failure backs off and a later attempt resolves it', async () => {
    const { pool, projects, storage, clock } = createTestPool();
    const gate = deferred<string>();
    projects.script = () => gate.promise;
    pool.load([makeAccount('a', {}, { project_id: '' })]);
    const requests = Array.from({ length: 20 }, () =>
      pool.execute({ model: 'claude' }, async (lease) => ok(lease.projectId)),
    );
    await new Promise((resolve) => setImmediate(resolve));
    gate.reject(new Error('loadCodeAssist returned 500'));
    const outcomes = await Promise.allSettled(requests);
    assert.equal(projects.calls.length, 1);
    assert.ok(outcomes.every((outcome) => outcome.status === 'rejected'));
    assert.equal(pool.status()[0]?.state, 'project-unresolved');
    assert.equal(storage.of('setAccountError').length, 1);
    // Inside the backoff nothing is retried; afterwards the next request resolves it.
    projects.script = () => 'proj-late';
    const early = await Promise.allSettled([pool.execute({ model: 'claude' }, async () => ok(1))]);
    assert.equal(early[0]?.status, 'rejected');
    assert.equal(projects.calls.length, 1);
    clock.nowMs += 2 * 3_600_000;
    assert.equal(await pool.execute({ model: 'claude' }, async (lease) => ok(lease.projectId)), 'proj-late');
    assert.deepEqual(storage.of('setProjectId')[0]?.args, ['a', 'proj-late']);
    assert.deepEqual(storage.of('setAccountError').at(-1)?.args, ['a', null]);
  });
});
