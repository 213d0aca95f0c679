import assert from 'node:assert/strict';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/errors/catalogue.ts';
import { openAccountStore } from '../../src/store/account-store.ts';
import { fakeClock, makeDataDir, sequentialIds, token } from './helpers.ts';

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

function isGatewayError(code: string): (error: unknown) => boolean {
  return (error) => GatewayError.is(error) && error.code === code;
}

describe('account store', () => {
  test('upsert adds a new account with a UUID v4 id, times from the clock, index entry and current account', async () => {
    const dataDir = await makeDataDir();
    const clock = fakeClock();
    const store = openAccountStore(dataDir, { now: clock.now });
    const { account, outcome } = await store.upsert({ email: 'a@x.com', name: 'Alice', token: token('a1', 'r1') });
    assert.equal(outcome, 'added');
    assert.match(account.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(account.created_at, 1_700_000_000);
    assert.equal(account.last_used, 1_700_000_000);
    const index = await readJson(join(dataDir, 'accounts.json'));
    assert.equal(index['version'], '2.0');
    assert.equal(index['current_account_id'], account.id);
    assert.deepEqual(index['accounts'], [
      {
        id: account.id,
        email: 'a@x.com',
        name: 'Alice',
        disabled: false,
        proxy_disabled: false,
        created_at: 1_700_000_000,
        last_used: 1_700_000_000,
      },
    ]);
    const file = await readJson(join(dataDir, 'accounts', `${account.id}.json`));
    assert.equal(file['email'], 'a@x.com');

    clock.advance(10);
    const second = await store.upsert({ email: 'b@x.com', token: token('b1', 'rb') });
    const indexAfter = await readJson(join(dataDir, 'accounts.json'));
    assert.equal(indexAfter['current_account_id'], account.id, 'current account is set only when none');
    assert.equal(second.account.name, null);
  });

  test('files are 0600 and directories 0700; a 0644 file rewritten by agw becomes 0600', async () => {
    const parent = await makeDataDir();
    const dataDir = join(parent, 'nested', 'data');
    const store = openAccountStore(dataDir, { randomId: sequentialIds() });
    const { account } = await store.upsert({ email: 'a@x.com', token: token('a1', 'r1') });
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(parent, 'nested'))).mode & 0o777, 0o700);
    assert.equal((await stat(join(dataDir, 'accounts'))).mode & 0o777, 0o700);
    const accountFile = join(dataDir, 'accounts', `${account.id}.json`);
    assert.equal((await stat(accountFile)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dataDir, 'accounts.json'))).mode & 0o777, 0o600);
    await chmod(accountFile, 0o644);
    await store.proxyDisable(account.id, 'manual');
    assert.equal((await stat(accountFile)).mode & 0o777, 0o600);
  });

  test('upsert of an existing email merges the token and keeps the stored name and project', async () => {
    const dataDir = await makeDataDir();
    const clock = fakeClock();
    const store = openAccountStore(dataDir, { now: clock.now });
    const first = await store.upsert({
      email: 'a@x.com',
      name: 'Alice',
      token: token('a1', 'r1', { project_id: 'proj-1', oauth_client_key: 'antigravity_enterprise' }),
    });
    clock.advance(60);
    const second = await store.upsert({ email: 'a@x.com', name: null, token: token('a2', 'r1', { project_id: '' }) });
    assert.equal(second.outcome, 'updated');
    assert.equal(second.account.id, first.account.id);
    assert.equal(second.account.name, 'Alice');
    assert.equal(second.account.token.access_token, 'a2');
    assert.equal(second.account.token.project_id, 'proj-1');
    assert.equal(second.account.token.oauth_client_key, 'antigravity_enterprise');
    assert.equal(second.account.last_used, 1_700_000_060);
    assert.equal(second.account.created_at, 1_700_000_000);
    const third = await store.upsert({ email: 'a@x.com', name: 'Alice B', token: token('a3', 'r1') });
    assert.equal(third.account.name, 'Alice B');
    const index = await readJson(join(dataDir, 'accounts.json'));
    const entries = index['accounts'] as Array<Record<string, unknown>>;
    assert.equal(entries.length, 1);
    assert.equal(entries[0]?.['name'], 'Alice B');
    assert.equal(entries[0]?.['last_used'], 1_700_000_060);
  });

  test('email match is exact: another case is another account on upsert, but get() accepts it', async () => {
    const store = openAccountStore(await makeDataDir());
    const lower = await store.upsert({ email: 'a@x.com', token: token('a1', 'r1') });
    const upper = await store.upsert({ email: 'A@x.com', token: token('a2', 'r2') });
    assert.notEqual(lower.account.id, upper.account.id);
    assert.equal((await store.get('A@x.com')).id, upper.account.id);
    const single = openAccountStore(await makeDataDir());
    const only = await single.upsert({ email: 'b@x.com', token: token('b1', 'rb') });
    assert.equal((await single.get('B@X.com')).id, only.account.id);
  });

  test('get by id and email; unknown or path-like ids are AGW_ACCOUNT_NOT_FOUND', async () => {
    const store = openAccountStore(await makeDataDir());
    const { account } = await store.upsert({ email: 'a@x.com', token: token('a1', 'r1') });
    assert.equal((await store.get(account.id)).email, 'a@x.com');
    assert.equal((await store.get('a@x.com')).id, account.id);
    await assert.rejects(store.get('nobody@x.com'), isGatewayError('AGW_ACCOUNT_NOT_FOUND'));
    await assert.rejects(store.get('../accounts'), isGatewayError('AGW_ACCOUNT_NOT_FOUND'));
    await assert.rejects(store.proxyEnable('missing-id'), isGatewayError('AGW_ACCOUNT_NOT_FOUND'));
    await assert.rejects(
      store.update('../../etc/passwd', () => undefined),
      isGatewayError('AGW_ACCOUNT_NOT_FOUND'),
    );
  });

  test('disable sets the three fields and truncates the reason to 800 bytes on a character boundary', async () => {
    const dataDir = await makeDataDir();
    const store = openAccountStore(dataDir, { now: fakeClock(1_700_000_500).now });
    const { account } = await store.upsert({ email: 'a@x.com', token: token('a1', 'r1') });
    const reason = `invalid_grant: ${'令'.repeat(400)}`;
    const disabled = await store.disable(account.id, reason);
    assert.equal(disabled.disabled, true);
    assert.equal(disabled.disabled_at, 1_700_000_500);
    const stored = disabled.disabled_reason ?? '';
    assert.ok(stored.startsWith('invalid_grant: 令'));
    assert.ok(stored.endsWith('...'));
    assert.ok(Buffer.byteLength(stored) <= 800);
    assert.ok(Buffer.byteLength(stored) > 794, 'cut at the last boundary, not earlier');
    const index = await readJson(join(dataDir, 'accounts.json'));
    assert.equal((index['accounts'] as Array<Record<string, unknown>>)[0]?.['disabled'], true);
  });

  test('disable with a refresh-token guard does nothing when the credentials were replaced meanwhile', async () => {
    const store = openAccountStore(await makeDataDir());
    const { account } = await store.upsert({ email: 'a@x.com', token: token('a1', 'r-old') });
    await store.upsert({ email: 'a@x.com', token: token('a2', 'r-new') });
    const after = await store.disable(account.id, 'invalid_grant: x', { ifRefreshToken: 'r-old' });
    assert.equal(after.disabled, false);
    const applied = await store.disable(account.id, 'invalid_grant: x', { ifRefreshToken: 'r-new' });
    assert.equal(applied.disabled, true);
  });

  test('proxyDisable records reason and time; proxyEnable removes the three fields; the index follows', async () => {
    const dataDir = await makeDataDir();
    const store = openAccountStore(dataDir, { now: fakeClock(1_700_000_900).now });
    const { account } = await store.upsert({ email: 'a@x.com', token: token('a1', 'r1') });
    const off = await store.proxyDisable(account.id, 'manual switch');
    assert.equal(off.proxy_disabled, true);
    assert.equal(off.proxy_disabled_reason, 'manual switch');
    assert.equal(off.proxy_disabled_at, 1_700_000_900);
    let index = await readJson(join(dataDir, 'accounts.json'));
    assert.equal((index['accounts'] as Array<Record<string, unknown>>)[0]?.['proxy_disabled'], true);
    await store.proxyEnable(account.id);
    const file = await readJson(join(dataDir, 'accounts', `${account.id}.json`));
    assert.equal(file['proxy_disabled'], false);
    assert.equal('proxy_disabled_reason' in file, false);
    assert.equal('proxy_disabled_at' in file, false);
    index = await readJson(join(dataDir, 'accounts.json'));
    assert.equal((index['accounts'] as Array<Record<string, unknown>>)[0]?.['proxy_disabled'], false);
  });

  test('persistToken patches only given fields and never drops a refresh token', async () => {
    const store = openAccountStore(await makeDataDir());
    const { account } = await store.upsert({
      email: 'a@x.com',
      token: token('a1', 'r1', { project_id: 'p', id_token: 'idt' }),
    });
    const refreshed = await store.persistToken(account.id, {
      access_token: 'a2',
      expiry_timestamp: 1_800_000_000,
      refresh_token: '',
    });
    assert.equal(refreshed.token.access_token, 'a2');
    assert.equal(refreshed.token.refresh_token, 'r1');
    assert.equal(refreshed.token.project_id, 'p');
    assert.equal(refreshed.token.id_token, 'idt');
    assert.equal(refreshed.token.expiry_timestamp, 1_800_000_000);
    const rotated = await store.persistToken(account.id, { access_token: 'a3', refresh_token: 'r2' });
    assert.equal(rotated.token.refresh_token, 'r2');
    const guarded = await store.persistToken(account.id, { access_token: 'stale' }, { ifRefreshToken: 'r1' });
    assert.equal(guarded.token.access_token, 'a3');
    assert.equal((await store.get(account.id)).token.refresh_token, 'r2');
  });

  test('a rotation stored on the token an invalid_grant disabled re-enables the account (the race lost)', async () => {
    const store = openAccountStore(await makeDataDir());
    const { account } = await store.upsert({ email: 'a@x.com', token: token('a1', 'r1') });
    // Two refreshes of r1 at once: one rotated it to r2, the other was answered invalid_grant and disabled first.
    await store.disable(account.id, 'invalid_grant: Token has been expired or revoked.', { ifRefreshToken: 'r1' });
    const rotated = await store.persistToken(
      account.id,
      { access_token: 'a2', refresh_token: 'r2' },
      { ifRefreshToken: 'r1' },
    );
    assert.equal(rotated.disabled, false);
    assert.equal(rotated.disabled_reason, undefined);
    assert.equal(rotated.token.refresh_token, 'r2');
    // An access-token-only write does not: the dead refresh token stays dead (a pitfall of the seed story).
    await store.disable(account.id, 'invalid_grant: again', { ifRefreshToken: 'r2' });
    const accessOnly = await store.persistToken(account.id, { access_token: 'a3' }, { ifRefreshToken: 'r2' });
    assert.equal(accessOnly.disabled, true);
  });

  test('update validates the result and refuses an id change; a no-op writes nothing', async () => {
    const dataDir = await makeDataDir();
    const store = openAccountStore(dataDir);
    const { account } = await store.upsert({ email: 'a@x.com', token: token('a1', 'r1') });
    const path = join(dataDir, 'accounts', `${account.id}.json`);
    const before = await stat(path);
    await store.update(account.id, () => undefined);
    assert.equal((await stat(path)).ino, before.ino, 'an unchanged account is not rewritten');
    await assert.rejects(
      store.update(account.id, (draft) => ({ ...draft, email: 42 as unknown as string })),
      isGatewayError('AGW_INTERNAL'),
    );
    await assert.rejects(
      store.update(account.id, (draft) => ({ ...draft, id: 'other' })),
      isGatewayError('AGW_INTERNAL'),
    );
    const mine = new Error('caller failure');
    await assert.rejects(
      store.update(account.id, () => {
        throw mine;
      }),
      (error: unknown) => error === mine,
    );
    const labelled = await store.update(account.id, (draft) => {
      draft.custom_label = 'work';
      draft.protected_models = ['claude-sonnet-4-6'];
    });
    assert.equal(labelled.custom_label, 'work');
    const index = await readJson(join(dataDir, 'accounts.json'));
    assert.deepEqual((index['accounts'] as Array<Record<string, unknown>>)[0]?.['protected_models'], [
      'claude-sonnet-4-6',
    ]);
  });

  test('remove deletes file and index entry and moves the current account', async () => {
    const dataDir = await makeDataDir();
    const store = openAccountStore(dataDir, { randomId: sequentialIds() });
    const a = await store.upsert({ email: 'a@x.com', token: token('a', 'ra') });
    const b = await store.upsert({ email: 'b@x.com', token: token('b', 'rb') });
    await store.remove(a.account.id);
    const index = await readJson(join(dataDir, 'accounts.json'));
    assert.equal(index['current_account_id'], b.account.id);
    assert.deepEqual(
      (index['accounts'] as Array<Record<string, unknown>>).map((entry) => entry['id']),
      [b.account.id],
    );
    await assert.rejects(stat(join(dataDir, 'accounts', `${a.account.id}.json`)), { code: 'ENOENT' });
    await assert.rejects(store.remove(a.account.id), isGatewayError('AGW_ACCOUNT_NOT_FOUND'));
    await store.remove(b.account.id);
    const empty = await readJson(join(dataDir, 'accounts.json'));
    assert.equal(empty['current_account_id'], null);
    assert.deepEqual((await store.list()).accounts, []);
  });

  test('reorder puts listed ids first in order, ignores unknown ids, appends the rest in previous order', async () => {
    const store = openAccountStore(await makeDataDir(), { randomId: sequentialIds() });
    for (const email of ['a@x', 'b@x', 'c@x', 'd@x']) await store.upsert({ email, token: token(email, email) });
    await store.reorder(['id-0003', 'nope', 'id-0001', 'id-0003']);
    const { accounts } = await store.list();
    assert.deepEqual(
      accounts.map((account) => account.id),
      ['id-0003', 'id-0001', 'id-0002', 'id-0004'],
    );
  });

  test('list keeps index order and appends account files missing from the index', async () => {
    const dataDir = await makeDataDir();
    const store = openAccountStore(dataDir, { randomId: sequentialIds() });
    await store.upsert({ email: 'a@x', token: token('a', 'ra') });
    await store.upsert({ email: 'b@x', token: token('b', 'rb') });
    await store.reorder(['id-0002']);
    const orphan = JSON.parse(await readFile(join(dataDir, 'accounts', 'id-0001.json'), 'utf8'));
    orphan.id = 'zz-orphan';
    orphan.email = 'orphan@x';
    await writeFile(join(dataDir, 'accounts', 'zz-orphan.json'), JSON.stringify(orphan));
    const { accounts, problems } = await store.list();
    assert.deepEqual(
      accounts.map((account) => account.id),
      ['id-0002', 'id-0001', 'zz-orphan'],
    );
    assert.deepEqual(problems, []);
    // An upsert for the orphan's email finds it rather than creating a duplicate, and lists it in the index.
    const again = await store.upsert({ email: 'orphan@x', token: token('o2', 'ro') });
    assert.equal(again.account.id, 'zz-orphan');
    const index = await readJson(join(dataDir, 'accounts.json'));
    assert.equal((index['accounts'] as unknown[]).length, 3);
  });
});
