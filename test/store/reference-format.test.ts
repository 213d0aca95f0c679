import assert from 'node:assert/strict';
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { openAccountStore } from '../../src/store/account-store.ts';
import { readConfigFile } from '../../src/store/config-file.ts';
import { makeDataDir, token } from './helpers.ts';

const fixture = join(import.meta.dirname, 'fixtures', 'reference-data-dir');
const alice = '0b7c2a4e-1f3d-4c5b-9a8e-7d6c5b4a3f21';
const bob = '3e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b';
const carol = '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d';
const dave = '9f8e7d6c-5b4a-4f3e-bd2c-1b0a9f8e7d6c';
const erin = 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f';

async function copyFixture(): Promise<string> {
  const dataDir = await makeDataDir();
  await cp(fixture, dataDir, { recursive: true });
  return dataDir;
}

test('a data directory written by the reference system loads as it is', async () => {
  const dataDir = await copyFixture();
  const before = await readFile(join(dataDir, 'accounts.json'));
  const { accounts, problems } = await openAccountStore(dataDir).list();
  assert.deepEqual(problems, []);
  assert.deepEqual(
    accounts.map((account) => account.id),
    [alice, carol, bob, dave, erin],
  );
  const byEmail = new Map(accounts.map((account) => [account.email, account]));
  const a = byEmail.get('alice@example.com');
  assert.equal(a?.protected_models?.[0], 'claude-sonnet-4-6');
  assert.equal(a?.quota?.subscription_tier, 'PRO');
  assert.equal(a?.quota?.models.length, 2);
  assert.equal(a?.quota?.quota_groups?.[0]?.buckets[0]?.bucket_id, 'gemini-weekly');
  assert.equal(a?.live_limited_models?.['gemini-3-pro-high']?.reason, 'QuotaExhausted');
  assert.equal(a?.token.oauth_client_key, 'antigravity_enterprise');
  assert.deepEqual(a?.['some_future_field'], { from: 'a newer reference version' });
  const b = byEmail.get('bob@example.com');
  assert.equal(b?.disabled, true);
  assert.match(b?.disabled_reason ?? '', /^invalid_grant: /);
  assert.equal(b?.quota, null);
  const c = byEmail.get('carol@example.com');
  assert.equal(c?.proxy_disabled, true);
  assert.match(c?.proxy_disabled_reason ?? '', /^Forbidden \(403\)/);
  const d = byEmail.get('dave@example.com');
  assert.equal(d?.validation_blocked, true);
  assert.equal(d?.validation_blocked_until, 1_767_300_000);
  assert.equal(d?.name, undefined);
  assert.equal(d?.token.project_id, undefined);
  const e = byEmail.get('erin@example.com');
  assert.equal(e?.proxy_disabled_reason, 'quota_protection');
  assert.equal(e?.token.project_id, '');
  assert.deepEqual(await readFile(join(dataDir, 'accounts.json')), before, 'reading writes nothing');
  const config = await readConfigFile(dataDir);
  assert.equal((config.raw?.['proxy'] as Record<string, unknown> | undefined)?.['port'], 8045);
});

test('re-adding the invalid_grant account re-enables it, and the directory stays readable by the reference', async () => {
  const dataDir = await copyFixture();
  const store = openAccountStore(dataDir, { now: () => 1_767_400_000_000 });
  const { account, outcome } = await store.upsert({
    email: 'bob@example.com',
    token: token('ya29.new', '1//0gNewRefresh'),
  });
  assert.equal(outcome, 're-enabled');
  assert.equal(account.id, bob);
  assert.equal(account.token.project_id, 'bamboo-precept-lgxtn');
  const file = JSON.parse(await readFile(join(dataDir, 'accounts', `${bob}.json`), 'utf8'));
  assert.equal(file.disabled, false);
  assert.equal('disabled_reason' in file, false);
  assert.equal('disabled_at' in file, false);
  const index = JSON.parse(await readFile(join(dataDir, 'accounts.json'), 'utf8'));
  assert.equal(index.version, '2.0');
  assert.deepEqual(
    index.accounts.map((entry: { id: string }) => entry.id),
    [alice, carol, bob, dave, erin],
  );
  const bobEntry = index.accounts.find((entry: { id: string }) => entry.id === bob);
  assert.equal(bobEntry.disabled, false);
  assert.equal(bobEntry.last_used, 1_767_400_000);
  await store.proxyDisable(alice, 'test');
  const aliceFile = JSON.parse(await readFile(join(dataDir, 'accounts', `${alice}.json`), 'utf8'));
  assert.deepEqual(aliceFile.device_history[0].profile.machine_id, 'auth0|user_01');
  assert.equal(aliceFile.custom_label, 'main');
});
