/**
 * `agw keys create|list|revoke` as a user runs them (separate processes) against a temporary data directory, and a
 * running gateway that accepts a key the CLI created without a restart and refuses it once the CLI revoked it.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashUserKey } from '../../src/keys/key-secret.ts';
import { parseKeySpec } from '../../src/keys/user-key.ts';
import { openUserKeyStore } from '../../src/telemetry/user-key-store.ts';
import { eventually, startHarness } from '../harness/gateway-harness.ts';
import { runCli } from '../support/run-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

function storedKeys(dataDir: string) {
  const store = openUserKeyStore({ path: join(dataDir, 'agw.db') });
  try {
    return store.list();
  } finally {
    store.close();
  }
}

test('create prints the key once and stores every setting (only the hash of the key)', async () => {
  const dataDir = await tempDir('agw-keys-cli-');
  try {
    const created = await runCli(
      [
        '--data-dir',
        dataDir,
        'keys',
        'create',
        'alice',
        '--expires',
        '30d',
        '--models',
        'gemini-*,claude-sonnet-4-6',
        '--rpm',
        '10',
        '--tokens-per-day',
        '50000',
        '--ips',
        '192.168.1.0/24,::1',
      ],
      { mustSucceed: true },
    );
    const key = created.stdout.split('\n')[0] ?? '';
    assert.match(key, /^sk-agw-[A-Za-z0-9_-]{43}$/);
    assert.match(created.stdout, /cannot show it again/);
    const [alice] = storedKeys(dataDir);
    assert.equal(alice?.name, 'alice');
    assert.deepEqual(alice?.models, ['gemini-*', 'claude-sonnet-4-6']);
    assert.equal(alice?.requestsPerMinute, 10);
    assert.equal(alice?.tokensPerDay, 50000);
    assert.deepEqual(alice?.ips, ['192.168.1.0/24', '::1']);
    assert.ok((alice?.expiresAt ?? 0) > Date.now() + 29 * 86_400_000);
    assert.equal(alice?.hash, hashUserKey(key), 'only the hash is stored');

    const json = await runCli(['--data-dir', dataDir, 'keys', 'create', 'bot', '--json'], { mustSucceed: true });
    const bot = JSON.parse(json.stdout) as { key: { id: string; name: string; state: string }; secret: string };
    assert.equal(bot.key.name, 'bot');
    assert.equal(bot.key.state, 'active');
    assert.match(bot.secret, /^sk-agw-/);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('list, as a table or JSON, shows every key by its hint and never the key', async () => {
  const dataDir = await tempDir('agw-keys-cli-');
  try {
    const store = openUserKeyStore({ path: join(dataDir, 'agw.db') });
    const key = store.create(
      parseKeySpec({ name: 'alice', requestsPerMinute: 10, ips: '192.168.1.0/24,::1' }, Date.now()),
      Date.now(),
    ).key;
    const bot = { secret: store.create(parseKeySpec({ name: 'bot' }, Date.now()), Date.now()).key };
    store.close();

    const listed = await runCli(['--data-dir', dataDir, 'keys', 'list', '--json'], { mustSucceed: true });
    const keys = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(keys.map((entry) => entry['name']).sort(), ['alice', 'bot']);
    const listedAlice = keys.find((entry) => entry['name'] === 'alice')!;
    assert.equal(listedAlice['requests_per_minute'], 10);
    assert.deepEqual(listedAlice['ips'], ['192.168.1.0/24', '::1']);
    assert.ok(!listed.stdout.includes(key) && !listed.stdout.includes(bot.secret), 'never the key');

    const table = await runCli(['--data-dir', dataDir, 'keys', 'list'], { mustSucceed: true });
    assert.match(table.stdout, /NAME/);
    assert.match(table.stdout, /alice/);
    assert.ok(table.stdout.includes(`sk-agw-…${key.slice(-4)}`), table.stdout);
    assert.ok(!table.stdout.includes(key));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('revoke by name or by id', async () => {
  const dataDir = await tempDir('agw-keys-cli-');
  try {
    const store = openUserKeyStore({ path: join(dataDir, 'agw.db') });
    const alice = store.create(parseKeySpec({ name: 'alice' }, Date.now()), Date.now()).record;
    const bot = store.create(parseKeySpec({ name: 'bot' }, Date.now()), Date.now()).record;
    store.close();

    const revoked = await runCli(['--data-dir', dataDir, 'keys', 'revoke', 'alice'], { mustSucceed: true });
    assert.match(revoked.stdout, /revoked/);
    const byId = await runCli(['--data-dir', dataDir, 'keys', 'revoke', bot.id, '--json'], { mustSucceed: true });
    assert.equal((JSON.parse(byId.stdout) as { state: string }).state, 'revoked');
    const states = new Map(storedKeys(dataDir).map((record) => [record.id, record.revokedAt !== null]));
    assert.deepEqual([states.get(alice.id), states.get(bot.id)], [true, true]);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('an unknown key to revoke and bad settings are reported with their codes, and nothing is stored', async () => {
  const dataDir = await tempDir('agw-keys-cli-');
  try {
    const missing = await runCli(['--data-dir', dataDir, 'keys', 'revoke', 'nobody']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no user key .*\[AGW_NOT_FOUND\]/);
    const bad = await runCli(['--data-dir', dataDir, 'keys', 'create', 'x', '--rpm', 'fast', '--ips', '300.1.1.1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /requests per minute/);
    assert.match(bad.stderr, /300\.1\.1\.1/);
    assert.match(bad.stderr, /AGW_INVALID_REQUEST/);
    assert.equal(storedKeys(dataDir).length, 0, 'nothing stored for bad settings');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a running gateway accepts a key the CLI just created, without a restart, and refuses it once revoked', async () => {
  const harness = await startHarness({ accounts: [{ email: 'cli-keys@example.com' }] });
  try {
    const call = (key: string) =>
      fetch(`${harness.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gemini-3-flash', messages: [{ role: 'user', content: 'hi' }] }),
      });
    const created = await runCli(['--data-dir', harness.dataDir, 'keys', 'create', 'friend', '--json'], {
      mustSucceed: true,
    });
    const { secret } = JSON.parse(created.stdout) as { secret: string };
    const first = await call(secret);
    assert.equal(first.status, 200, await first.text());

    await runCli(['--data-dir', harness.dataDir, 'keys', 'revoke', 'friend'], { mustSucceed: true });
    const refused = await eventually(
      async () => {
        const response = await call(secret);
        await response.arrayBuffer();
        return response.status === 401 ? response : undefined;
      },
      10_000,
      'the revocation to reach the running gateway',
    );
    assert.equal(refused.headers.get('x-agw-error-code'), 'AGW_KEY_REVOKED');
  } finally {
    await harness.close();
  }
});
