/**
 * Issue 10: `agw serve` writes its log to logs/agw.log.<date> in the data directory, with the seed lines verbatim.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually, startHarness } from '../harness/gateway-harness.ts';
import { startCli } from '../support/run-cli.ts';
import { chat } from './helpers.ts';

test('agw serve logs to logs/agw.log.<date> in the data dir, seed lines verbatim', async () => {
  // The harness enrols the accounts into a data dir; then `agw serve` (another process) runs on it.
  const prepared = await startHarness({
    accounts: [
      { email: 'seed@example.com', refreshToken: '1//serve-seed-token-0001', expired: true, tier: 'ULTRA' },
      { email: 'backup@example.com' },
    ],
  });
  await prepared.close({ keepData: true, keepFake: true });
  const { fake, dataDir } = prepared;
  fake.control.revokeRefreshToken('1//serve-seed-token-0001');
  const gateway = startCli(['--data-dir', dataDir, 'serve', '--port', '0'], { env: prepared.environment });
  try {
    const url = await eventually(
      () => /agw is serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(gateway.output().stdout)?.[1],
      10_000,
      `the serving line (${JSON.stringify(gateway.output())})`,
    );

    const logs = join(dataDir, 'logs');
    const date = new Date().toISOString().slice(0, 10);
    const content = await eventually(
      async () => {
        // Either account may be picked first; every request is served, and sooner or later the revoked one is tried.
        const answered = await chat(url, prepared.headers, 'through agw serve');
        assert.equal(answered.status, 200, answered.text);
        const names = await readdir(logs).catch(() => [] as string[]);
        const name = names.find((candidate) => candidate.startsWith('agw.log.'));
        if (name === undefined) return undefined;
        const text = await readFile(join(logs, name), 'utf8');
        return text.includes('Disabling account due to invalid_grant') ? { name, text } : undefined;
      },
      // Bounded, generous wait: the full suite runs two test files at once on two cores.
      15_000,
      'the seed lines in the log file',
    );
    assert.match(content.name, new RegExp(`^agw\\.log\\.${date}`));
    const messages = content.text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    assert.ok(
      messages.some((message) =>
        /^Token 刷新失败 \(seed@example\.com\): .*invalid_grant.*，尝试下一个账号$/.test(message),
      ),
      messages.join('\n'),
    );
    assert.ok(
      messages.includes(
        'Disabling account due to invalid_grant (seed@example.com): refresh_token likely revoked/expired',
      ),
    );
    // UTF-8 as written, not \u-escaped, so `grep 刷新失败` finds it.
    assert.ok(content.text.includes('Token 刷新失败'));
    assert.ok(!content.text.includes('1//serve-seed-token-0001'), 'the refresh token is not in the log');
  } finally {
    await gateway.stop();
    await fake.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
