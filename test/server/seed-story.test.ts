/**
 * The seed story (shared/reference/seed-invalid-grant.md) over HTTP, against the real gateway and the fake Google.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually, startHarness } from '../harness/gateway-harness.ts';
import { runCli } from '../support/run-cli.ts';

async function chat(url: string, headers: Record<string, string>, text: string) {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gemini-3-flash', messages: [{ role: 'user', content: text }] }),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

test('invalid_grant disables the account persistently, requests keep succeeding, re-adding from the CLI restores it live', async () => {
  const harness = await startHarness({
    accounts: [
      { email: 'revoked@example.com', tier: 'ULTRA', expired: true, refreshToken: '1//revoked-token-aaaa' },
      { email: 'healthy@example.com', tier: 'FREE' },
    ],
  });
  try {
    harness.fake.control.revokeRefreshToken('1//revoked-token-aaaa');
    const revokedAt = harness.fake.control.calls().length;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => chat(harness.url, harness.headers, `question ${index}`)),
    );
    // Accounts without quota data rank equally, so keep asking (bounded) until the revoked one has been tried.
    for (let extra = 0; extra < 50 && !(await harness.store.get('revoked@example.com')).disabled; extra += 1) {
      results.push(await chat(harness.url, harness.headers, `follow-up ${extra}`));
    }
    for (const result of results) assert.equal(result.status, 200, JSON.stringify(result.body));
    for (const result of results) assert.equal(result.headers.get('x-account-email'), null, 'no email header');

    const refreshes = harness.fake.control
      .calls({ endpoint: 'token' })
      .filter((call) => call.sequence > revokedAt && JSON.stringify(call.body).includes('1//revoked-token-aaaa'));
    assert.equal(refreshes.length, 1, 'exactly one refresh with the revoked token');

    const revoked = harness.accounts.get('revoked@example.com')!;
    const file = JSON.parse(await readFile(join(harness.dataDir, 'accounts', `${revoked.id}.json`), 'utf8'));
    assert.equal(file.disabled, true);
    assert.equal(typeof file.disabled_at, 'number');
    assert.match(file.disabled_reason, /^invalid_grant: /);
    assert.ok(Buffer.byteLength(file.disabled_reason) <= 800);
    assert.doesNotMatch(file.disabled_reason, /1\/\/revoked-token/);

    const messages = harness.logLines.map((line) => line.message);
    assert.ok(
      messages.some((message) =>
        /^Token 刷新失败 \(revoked@example\.com\): .*invalid_grant.*，尝试下一个账号$/.test(message),
      ),
      'first seed log line',
    );
    assert.ok(
      messages.includes(
        'Disabling account due to invalid_grant (revoked@example.com): refresh_token likely revoked/expired',
      ),
    );

    // Re-add from another process (the CLI) with a new refresh token while the gateway runs.
    harness.fake.control.addAccount({
      email: 'revoked@example.com',
      refreshToken: '1//fresh-token-bbbb',
      tier: 'ULTRA',
    });
    const added = await runCli(
      ['--data-dir', harness.dataDir, 'accounts', 'add', '--refresh-token', '1//fresh-token-bbbb'],
      { env: harness.environment, mustSucceed: true },
    );
    assert.match(added.stdout, /revoked@example\.com: re-enabled/);
    const reenabled = JSON.parse(await readFile(join(harness.dataDir, 'accounts', `${revoked.id}.json`), 'utf8'));
    assert.equal(reenabled.disabled, false);
    assert.equal(reenabled.disabled_reason, undefined);
    assert.equal(reenabled.disabled_at, undefined);

    // The running pool picks it up within a second.
    await eventually(
      async () => {
        const status = await fetch(`${harness.url}/api/pool`, { headers: harness.headers });
        const pool = (await status.json()) as { accounts: Array<{ id: string; state: string }> };
        return pool.accounts.find((account) => account.id === revoked.id && account.state === 'active');
      },
      3000,
      're-enabled account usable in the pool',
    );
    // Switch the healthy account off so the next request can only be served by the re-enabled one.
    await harness.store.proxyDisable(
      harness.accounts.get('healthy@example.com')!.id,
      'test: isolate the re-added account',
    );
    await eventually(
      async () => {
        const status = await fetch(`${harness.url}/api/pool`, { headers: harness.headers });
        const pool = (await status.json()) as { accounts: Array<{ id: string; state: string }> };
        return pool.accounts.some((account) => account.state === 'proxy-disabled') ? true : undefined;
      },
      3000,
      'the healthy account to be proxy-disabled in the pool',
    );
    const servedBefore = harness.fake.control.calls({
      email: 'revoked@example.com',
      endpoint: 'streamGenerateContent',
    }).length;
    const after = await chat(harness.url, harness.headers, 'served by the re-added account?');
    assert.equal(after.status, 200);
    const servedAfter = harness.fake.control.calls({
      email: 'revoked@example.com',
      endpoint: 'streamGenerateContent',
    }).length;
    assert.equal(servedAfter, servedBefore + 1, 'the re-enabled account served the next request');
  } finally {
    await harness.close();
  }
});

test('after a restart the disabled account is still skipped, and the skip is logged', async () => {
  const first = await startHarness({
    accounts: [{ email: 'gone@example.com', expired: true, refreshToken: '1//gone-cccc' }, { email: 'ok@example.com' }],
  });
  first.fake.control.revokeRefreshToken('1//gone-cccc');
  // Every account is ranked equally here; ask until the revoked one has been tried.
  await eventually(
    async () => {
      await chat(first.url, first.headers, `probe ${Math.random()}`);
      const stored = await first.store.get('gone@example.com');
      return stored.disabled ? true : undefined;
    },
    5000,
    'the revoked account to be disabled',
  );
  await first.close({ keepData: true, keepFake: true });
  const second = await startHarness({ dataDir: first.dataDir, fake: first.fake });
  try {
    const skip = second.logLines.find(
      (line) => /skip/i.test(line.message) && line.message.includes('gone@example.com'),
    );
    assert.ok(skip, `a skip line for the disabled account: ${second.logLines.map((line) => line.message).join(' | ')}`);
    const result = await chat(second.url, second.headers, 'after restart');
    assert.equal(result.status, 200);
  } finally {
    await second.close();
    await first.fake.close();
  }
});
