/**
 * `agw keys create|list|revoke` as a user runs them (separate processes) against a temporary data directory, and a
 * running gateway that accepts a key the CLI created without a restart and refuses it once the CLI revoked it.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { eventually, startHarness } from '../harness/gateway-harness.ts';
import { runCli } from '../support/run-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

test('create prints the key once; list never shows it; revoke by name or id; bad settings are reported', async () => {
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

    const json = await runCli(['--data-dir', dataDir, 'keys', 'create', 'bot', '--json'], { mustSucceed: true });
    const bot = JSON.parse(json.stdout) as { key: { id: string; name: string; state: string }; secret: string };
    assert.equal(bot.key.name, 'bot');
    assert.equal(bot.key.state, 'active');
    assert.match(bot.secret, /^sk-agw-/);

    const listed = await runCli(['--data-dir', dataDir, 'keys', 'list', '--json'], { mustSucceed: true });
    const keys = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(keys.map((entry) => entry['name']).sort(), ['alice', 'bot']);
    const alice = keys.find((entry) => entry['name'] === 'alice')!;
    assert.deepEqual(alice['models'], ['gemini-*', 'claude-sonnet-4-6']);
    assert.equal(alice['requests_per_minute'], 10);
    assert.equal(alice['tokens_per_day'], 50000);
    assert.deepEqual(alice['ips'], ['192.168.1.0/24', '::1']);
    assert.ok(typeof alice['expires_at'] === 'number' && alice['expires_at'] > Date.now() + 29 * 86_400_000);
    assert.ok(!listed.stdout.includes(key) && !listed.stdout.includes(bot.secret), 'never the key');

    const table = await runCli(['--data-dir', dataDir, 'keys', 'list'], { mustSucceed: true });
    assert.match(table.stdout, /NAME/);
    assert.match(table.stdout, /alice/);
    assert.match(table.stdout, new RegExp(`sk-agw-…${key.slice(-4).replace(/[-]/g, '\\-')}`));
    assert.ok(!table.stdout.includes(key));

    const revoked = await runCli(['--data-dir', dataDir, 'keys', 'revoke', 'alice'], { mustSucceed: true });
    assert.match(revoked.stdout, /revoked/);
    await runCli(['--data-dir', dataDir, 'keys', 'revoke', bot.key.id], { mustSucceed: true });
    const after = JSON.parse(
      (await runCli(['--data-dir', dataDir, 'keys', 'list', '--json'], { mustSucceed: true })).stdout,
    ) as Array<Record<string, unknown>>;
    assert.deepEqual(
      after.map((entry) => entry['state']),
      ['revoked', 'revoked'],
    );

    const missing = await runCli(['--data-dir', dataDir, 'keys', 'revoke', 'nobody']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no user key .*\[AGW_NOT_FOUND\]/);
    const bad = await runCli(['--data-dir', dataDir, 'keys', 'create', 'x', '--rpm', 'fast', '--ips', '300.1.1.1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /requests per minute/);
    assert.match(bad.stderr, /300\.1\.1\.1/);
    assert.match(bad.stderr, /AGW_INVALID_REQUEST/);
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
