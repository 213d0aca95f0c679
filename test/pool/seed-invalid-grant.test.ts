/** The seed story (reference/seed-invalid-grant.md), point by point. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/errors/catalogue.ts';
import { rejection } from '../support/rejection.ts';
import { createTestPool, httpFailure, makeAccount, ok, revoked, startMs, withTier } from './helpers.ts';

const expired = { expiry_timestamp: Math.floor(startMs / 1000) - 10 };
const errorText = 'invalid_grant: Token has been expired or revoked.';

function twoAccounts() {
  // The revoked account ranks first (Ultra) and needs a refresh, so requests do reach it.
  return [makeAccount('dead', withTier('ULTRA'), expired), makeAccount('good', withTier('PRO'))];
}

describe('invalid_grant on refresh', () => {
  test('50 concurrent requests all succeed on the other account; one refresh, one disable, exact log lines', async () => {
    const harness = createTestPool();
    const { pool, tokens, storage, logger } = harness;
    tokens.script = (request) => {
      if (request.refreshToken === '1//rt-dead') throw revoked(errorText);
      return { accessToken: 'fresh', expiresInSeconds: 3599 };
    };
    pool.load(twoAccounts());
    const served: string[] = [];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        pool.execute({ model: 'claude-sonnet-4-6' }, async (lease) => {
          served.push(lease.accountId);
          return ok(index);
        }),
      ),
    );
    assert.equal(results.length, 50);
    assert.deepEqual(new Set(served), new Set(['good']));
    assert.equal(tokens.calls.filter((call) => call.refreshToken === '1//rt-dead').length, 1);
    const disables = storage.of('disable');
    assert.equal(disables.length, 1);
    assert.equal(disables[0]?.args[0], 'dead');
    assert.equal(disables[0]?.args[1], `invalid_grant: ${errorText}`);
    const messages = logger.lines.map((line) => line.message);
    assert.ok(messages.includes(`Token 刷新失败 (dead@example.com): ${errorText}，尝试下一个账号`));
    assert.ok(
      messages.includes(
        'Disabling account due to invalid_grant (dead@example.com): refresh_token likely revoked/expired',
      ),
    );
    const errorLine = logger.lines.find((line) => line.message.startsWith('Token 刷新失败'));
    assert.equal(errorLine?.level, 'error');
    const warnLine = logger.lines.find((line) => line.message.startsWith('Disabling account due to invalid_grant'));
    assert.equal(warnLine?.level, 'warn');
    assert.equal(pool.size, 1);
    const status = pool.status().find((account) => account.id === 'dead');
    assert.equal(status?.state, 'disabled');
    assert.equal(status?.reason, `invalid_grant: ${errorText}`);
  });

  test('a fresh pool loaded from the disabled account data skips it and logs the skip', async () => {
    const { pool, logger, tokens } = createTestPool();
    pool.load([
      makeAccount('dead', {
        disabled: true,
        disabled_at: 1_700_000_000,
        disabled_reason: `invalid_grant: ${errorText}`,
      }),
      makeAccount('good'),
    ]);
    assert.equal(pool.size, 1);
    const skips = logger.lines.filter((line) => line.message.startsWith('Skipping disabled account: dead@example.com'));
    assert.equal(skips.length, 1);
    pool.load([
      makeAccount('dead', { disabled: true, disabled_at: 1_700_000_000, disabled_reason: 'invalid_grant: x' }),
      makeAccount('good'),
    ]);
    assert.equal(
      logger.lines.filter((line) => line.message.startsWith('Skipping disabled account: dead@example.com')).length,
      2,
      'once per load',
    );
    const served = await pool.execute({ model: 'gemini-3-flash' }, async (lease) => ok(lease.accountId));
    assert.equal(served, 'good');
    assert.equal(tokens.calls.length, 0);
    const status = pool.status().find((account) => account.id === 'dead');
    assert.equal(status?.state, 'disabled');
    assert.equal(status?.atMs, 1_700_000_000_000);
  });

  test('re-loading with the token changed and disabled cleared: the account serves again, no skip line', async () => {
    const { pool, tokens, logger } = createTestPool({ strategy: 'round-robin' });
    tokens.script = () => {
      throw revoked(errorText);
    };
    pool.load([makeAccount('solo', {}, expired)]);
    const error = await rejection(pool.execute({ model: 'claude' }, async () => ok('never')));
    assert.equal(error.code, 'AGW_REFRESH_REVOKED');
    assert.equal(pool.size, 0);
    // The user re-adds the account: new refresh token, disabled cleared by the upsert, pool reloaded.
    tokens.script = () => ({ accessToken: 'at-new', expiresInSeconds: 3599 });
    const linesBefore = logger.lines.length;
    pool.load([makeAccount('solo', {}, { refresh_token: '1//rt-new', access_token: 'at-readded' })]);
    const served = await pool.execute({ model: 'claude' }, async (lease) => ok(lease.accessToken));
    assert.equal(served, 'at-readded');
    const after = logger.lines.slice(linesBefore).map((line) => line.message);
    assert.ok(!after.some((message) => message.startsWith('Skipping disabled account')));
    assert.ok(!after.some((message) => message.startsWith('Disabling account due to invalid_grant')));
    assert.equal(pool.status()[0]?.state, 'active');
  });

  test('a reload that still carries the dead refresh token (file read before the disable landed) keeps it out', async () => {
    const { pool, tokens } = createTestPool();
    tokens.script = () => {
      throw revoked(errorText);
    };
    pool.load([makeAccount('solo', {}, expired)]);
    await rejection(pool.execute({ model: 'claude' }, async () => ok('never')));
    pool.load([makeAccount('solo', {}, expired)]);
    assert.equal(pool.size, 0);
    assert.equal(tokens.calls.length, 1);
  });

  test('the client error names no email, says invalid_grant and that the account must be re-added', async () => {
    const { pool, tokens } = createTestPool();
    tokens.script = () => {
      throw revoked(errorText);
    };
    pool.load([makeAccount('solo', {}, expired)]);
    const error = await rejection(pool.execute({ model: 'claude' }, async () => ok('never')));
    assert.ok(GatewayError.is(error));
    assert.equal(error.code, 'AGW_REFRESH_REVOKED');
    assert.match(error.message, /invalid_grant/);
    assert.match(error.message, /revoked or expired/);
    assert.match(error.message, /re-add/);
    assert.doesNotMatch(error.message, /@/);
  });

  test('disabled_reason is cut to 800 bytes ending in ... and carries no secret', async () => {
    const { pool, tokens, storage } = createTestPool();
    const longText = `invalid_grant: bad token 1//0gSECRETSECRETSECRET ${'é'.repeat(900)}`;
    tokens.script = () => {
      throw revoked(longText);
    };
    pool.load([makeAccount('solo', {}, expired)]);
    await rejection(pool.execute({ model: 'claude' }, async () => ok('never')));
    const reason = String(storage.of('disable')[0]?.args[1]);
    assert.ok(new TextEncoder().encode(reason).length <= 800);
    assert.ok(reason.startsWith('invalid_grant: '));
    assert.ok(reason.endsWith('...'));
    assert.doesNotMatch(reason, /SECRET/);
  });

  test('any other refresh failure (503, network) never disables; the account cools down and the next is used', async () => {
    const { pool, tokens, storage, clock } = createTestPool();
    tokens.script = (request) => {
      if (request.id === 'flaky') throw new GatewayError('AGW_REFRESH_FAILED', 'token endpoint answered 503');
      return { accessToken: 'fresh', expiresInSeconds: 3599 };
    };
    pool.load([makeAccount('flaky', withTier('ULTRA'), expired), makeAccount('good', withTier('FREE'))]);
    const served = await pool.execute({ model: 'claude' }, async (lease) => ok(lease.accountId));
    assert.equal(served, 'good');
    assert.equal(storage.of('disable').length, 0);
    assert.equal(pool.size, 2);
    const flaky = pool.status().find((account) => account.id === 'flaky');
    assert.equal(flaky?.state, 'refresh-failing');
    // While cooling it is not retried; after the backoff it is, and a success clears the state.
    await pool.execute({ model: 'claude' }, async (lease) => ok(lease.accountId));
    assert.equal(tokens.calls.length, 1);
    clock.nowMs += 3_600_000;
    tokens.script = () => ({ accessToken: 'fresh', expiresInSeconds: 3599 });
    const later = await pool.execute({ model: 'claude' }, async (lease) => ok(lease.accountId));
    assert.equal(later, 'flaky');
    assert.equal(pool.status().find((account) => account.id === 'flaky')?.state, 'active');
  });

  test('a network failure of the only account answers AGW_REFRESH_FAILED and keeps the account', async () => {
    const { pool, tokens, storage } = createTestPool();
    tokens.script = () => {
      throw new GatewayError('AGW_REFRESH_FAILED', 'ECONNRESET');
    };
    pool.load([makeAccount('solo', {}, expired)]);
    const error = await rejection(pool.execute({ model: 'claude' }, async () => ok('never')));
    assert.equal(error.code, 'AGW_REFRESH_FAILED');
    assert.ok((error.retryAfterSeconds ?? 0) > 0);
    assert.equal(storage.of('disable').length, 0);
    assert.equal(pool.size, 1);
  });

  test('invalid_grant seen anywhere but a token refresh does not disable', async () => {
    const { pool, storage } = createTestPool();
    pool.load([makeAccount('a')]);
    const error = await rejection(
      pool.execute({ model: 'claude' }, async () =>
        httpFailure(400, { error: { code: 400, message: 'invalid_grant in a tool result' } }),
      ),
    );
    assert.equal(error.code, 'AGW_UPSTREAM_BAD_REQUEST');
    assert.equal(storage.of('disable').length, 0);
    assert.equal(pool.size, 1);
  });
});
