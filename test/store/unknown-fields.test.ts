import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { openAccountStore } from '../../src/store/account-store.ts';
import { makeDataDir } from './helpers.ts';

test('fields agw does not know survive every kind of rewrite (top level, token, quota, model, index)', async () => {
  const dataDir = await makeDataDir();
  await mkdir(join(dataDir, 'accounts'), { recursive: true });
  const id = '6f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
  const account = {
    id,
    email: 'a@x.com',
    name: 'Alice',
    token: {
      access_token: 'ya29.old',
      refresh_token: '1//old',
      expires_in: 3599,
      expiry_timestamp: 1_700_003_599,
      token_type: 'Bearer',
      future_token_field: { nested: [1, 2, 3] },
    },
    quota: {
      models: [{ name: 'claude-sonnet-4-6', percentage: 80, reset_time: '', future_model_field: 'm' }],
      last_updated: 1_700_000_000,
      is_forbidden: false,
      future_quota_field: true,
    },
    device_profile: { machine_id: 'm', mac_machine_id: 'mm', dev_device_id: 'd', sqm_id: 's' },
    device_history: [{ id: 'v1', created_at: 1, label: 'x', is_current: true }],
    proxy_id: 'proxy-7',
    disabled: false,
    proxy_disabled: false,
    validation_blocked: false,
    created_at: 1_700_000_000,
    last_used: 1_700_000_000,
    future_top_level: { keep: 'me' },
  };
  await writeFile(join(dataDir, 'accounts', `${id}.json`), JSON.stringify(account));
  await writeFile(
    join(dataDir, 'accounts.json'),
    JSON.stringify({
      version: '2.0',
      accounts: [{ id, email: 'a@x.com', name: 'Alice', created_at: 1, last_used: 1, future_summary_field: 's' }],
      current_account_id: id,
      current_target_ide: 'vscode',
      future_index_field: [1],
    }),
  );
  const store = openAccountStore(dataDir);
  await store.upsert({
    email: 'a@x.com',
    token: { access_token: 'ya29.new', refresh_token: '1//new', expires_in: 3599, expiry_timestamp: 1_800_000_000 },
  });
  await store.proxyDisable(id, 'x');
  await store.persistToken(id, { access_token: 'ya29.newer' });
  await store.disable(id, 'invalid_grant: y');
  await store.reorder([id]);

  const file = JSON.parse(await readFile(join(dataDir, 'accounts', `${id}.json`), 'utf8'));
  assert.deepEqual(file.future_top_level, { keep: 'me' });
  assert.deepEqual(file.token.future_token_field, { nested: [1, 2, 3] });
  assert.equal(file.quota.future_quota_field, true);
  assert.equal(file.quota.models[0].future_model_field, 'm');
  assert.deepEqual(file.device_profile, account.device_profile);
  assert.deepEqual(file.device_history, account.device_history);
  assert.equal(file.proxy_id, 'proxy-7');
  assert.equal(file.token.access_token, 'ya29.newer');
  const index = JSON.parse(await readFile(join(dataDir, 'accounts.json'), 'utf8'));
  assert.deepEqual(index.future_index_field, [1]);
  assert.equal(index.current_target_ide, 'vscode');
  assert.equal(index.accounts[0].future_summary_field, 's');
  assert.equal(index.accounts[0].disabled, true);
});
