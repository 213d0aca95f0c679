import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openAccountStore } from '../../src/store/account-store.ts';
import { fakeClock, makeDataDir, token } from './helpers.ts';

interface Row {
  name: string;
  disabled: boolean;
  /** The upsert's token; the stored one is access 'a-old' / refresh 'r-old'. */
  access: string;
  refresh: string;
  outcome: 'updated' | 're-enabled';
  disabledAfter: boolean;
}

const rows: Row[] = [
  {
    name: 'disabled, refresh changed',
    disabled: true,
    access: 'a-old',
    refresh: 'r-new',
    outcome: 're-enabled',
    disabledAfter: false,
  },
  {
    name: 'disabled, access changed',
    disabled: true,
    access: 'a-new',
    refresh: 'r-old',
    outcome: 're-enabled',
    disabledAfter: false,
  },
  {
    name: 'disabled, both changed',
    disabled: true,
    access: 'a-new',
    refresh: 'r-new',
    outcome: 're-enabled',
    disabledAfter: false,
  },
  {
    name: 'disabled, nothing changed',
    disabled: true,
    access: 'a-old',
    refresh: 'r-old',
    outcome: 'updated',
    disabledAfter: true,
  },
  {
    name: 'disabled, empty refresh (kept) and same access',
    disabled: true,
    access: 'a-old',
    refresh: '',
    outcome: 'updated',
    disabledAfter: true,
  },
  {
    name: 'enabled, refresh changed',
    disabled: false,
    access: 'a-old',
    refresh: 'r-new',
    outcome: 'updated',
    disabledAfter: false,
  },
  {
    name: 'enabled, access changed',
    disabled: false,
    access: 'a-new',
    refresh: 'r-old',
    outcome: 'updated',
    disabledAfter: false,
  },
  {
    name: 'enabled, nothing changed',
    disabled: false,
    access: 'a-old',
    refresh: 'r-old',
    outcome: 'updated',
    disabledAfter: false,
  },
];

describe('the re-enable rule (seed story): upsert clears disabled only when a credential changed', () => {
  for (const row of rows) {
    test(row.name, async () => {
      const dataDir = await makeDataDir();
      const clock = fakeClock();
      const store = openAccountStore(dataDir, { now: clock.now });
      const { account } = await store.upsert({ email: 'a@x.com', name: 'Alice', token: token('a-old', 'r-old') });
      if (row.disabled) await store.disable(account.id, 'invalid_grant: Token has been expired or revoked.');
      // An unrelated proxy switch must survive whatever happens to `disabled`.
      await store.proxyDisable(account.id, 'manual');
      clock.advance(30);

      const result = await store.upsert({ email: 'a@x.com', token: token(row.access, row.refresh) });

      assert.equal(result.outcome, row.outcome);
      assert.equal(result.account.disabled, row.disabledAfter);
      const file = JSON.parse(await readFile(join(dataDir, 'accounts', `${account.id}.json`), 'utf8'));
      assert.equal(file.disabled, row.disabledAfter);
      if (row.disabledAfter) {
        assert.ok(String(file.disabled_reason).startsWith('invalid_grant: '));
        assert.equal(file.disabled_at, 1_700_000_000);
      } else {
        for (const key of ['disabled_reason', 'disabled_at']) assert.equal(key in file, false, `${key} is deleted`);
      }
      assert.equal(file.proxy_disabled, true);
      assert.equal(file.proxy_disabled_reason, 'manual');
      assert.equal(file.last_used, 1_700_000_030);
      assert.equal(file.name, 'Alice');
      assert.equal(file.token.refresh_token, row.refresh === '' ? 'r-old' : row.refresh);
      const index = JSON.parse(await readFile(join(dataDir, 'accounts.json'), 'utf8'));
      assert.equal(index.accounts[0].disabled, row.disabledAfter);
      assert.equal(index.accounts[0].last_used, 1_700_000_030);
    });
  }

  test('a re-enabled account is disabled again by the next invalid_grant (dead refresh token, new access token)', async () => {
    const store = openAccountStore(await makeDataDir());
    const { account } = await store.upsert({ email: 'a@x.com', token: token('a1', 'r-dead') });
    await store.disable(account.id, 'invalid_grant: first');
    const again = await store.upsert({ email: 'a@x.com', token: token('a2', 'r-dead') });
    assert.equal(again.outcome, 're-enabled');
    const disabled = await store.disable(account.id, 'invalid_grant: second', { ifRefreshToken: 'r-dead' });
    assert.equal(disabled.disabled, true);
    assert.equal(disabled.disabled_reason, 'invalid_grant: second');
  });
});
