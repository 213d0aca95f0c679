/**
 * The pool's storage port on the real store: an invalid_grant about a refresh token another process has already
 * replaced (a second gateway rotated it, the user re-added the account) must not disable the account.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { poolStorageFrom } from '../../src/server/pool-wiring.ts';
import { openAccountStore } from '../../src/store/account-store.ts';
import { tempDir } from '../support/temp-dir.ts';

const token = (refresh: string) => ({
  access_token: 'ya29.x',
  refresh_token: refresh,
  expires_in: 3599,
  expiry_timestamp: 1_900_000_000,
});

test('disable applies only while the file still holds the refresh token that was refused', async () => {
  const store = openAccountStore(await tempDir('agw-wiring-'));
  const { account } = await store.upsert({ email: 'shared@example.com', token: token('1//old-token') });
  let replaced = 0;
  const storage = poolStorageFrom(store, Date.now, () => {
    replaced += 1;
  });

  // Another process stored a newer token; this process's refresh with the old one got invalid_grant.
  await store.persistToken(account.id, { refresh_token: '1//newer-token' });
  await storage.disable(account.id, 'invalid_grant: revoked', '1//old-token');
  assert.equal((await store.get(account.id)).disabled, false, 'the account with newer credentials stays enabled');
  assert.equal(replaced, 1, 'the pool is told to read the newer credentials back');

  await storage.disable(account.id, 'invalid_grant: revoked', '1//newer-token');
  const disabled = await store.get(account.id);
  assert.equal(disabled.disabled, true);
  assert.match(disabled.disabled_reason ?? '', /^invalid_grant: /);
  assert.equal(replaced, 1);
});
