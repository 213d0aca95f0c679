import assert from 'node:assert/strict';
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { type CliResult, runCli } from '../support/run-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

const fixture = fileURLToPath(new URL('../store/fixtures/reference-data-dir', import.meta.url));

function agw(args: string[]): Promise<CliResult> {
  return runCli(args, { env: { AGW_DATA_DIR: '' } });
}

async function copyFixture(): Promise<string> {
  const dataDir = await tempDir('agw-cli-');
  await cp(fixture, dataDir, { recursive: true });
  return dataDir;
}

test('a reference-format data directory lists with each account state', async () => {
  const dataDir = await copyFixture();
  const listed = await agw(['--data-dir', dataDir, 'accounts', 'list', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const accounts = JSON.parse(listed.stdout) as Array<{
    email: string;
    state: string;
    reason: string | null;
    refresh_token: string;
  }>;
  const byEmail = new Map(accounts.map((account) => [account.email, account]));
  assert.equal(byEmail.get('bob@example.com')?.state, 'disabled');
  assert.match(byEmail.get('bob@example.com')?.reason ?? '', /^invalid_grant: /);
  assert.equal(byEmail.get('carol@example.com')?.state, 'proxy-disabled');
  assert.equal(byEmail.get('alice@example.com')?.state, 'active');
  const table = await agw(['--data-dir', dataDir, 'accounts', 'list']);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /bob@example\.com\s+disabled\s+invalid_grant/);
  for (const account of accounts)
    assert.doesNotMatch(account.refresh_token, /^1\/\/[A-Za-z0-9_-]{12,}$/, 'tokens are masked');
  const files = await readFile(join(dataDir, 'accounts.json'), 'utf8');
  assert.ok(files.length > 0);
});

test('the manual proxy switch: disable with a reason, then enable; show masks secrets', async () => {
  const dataDir = await copyFixture();
  const disabled = await agw([
    '--data-dir',
    dataDir,
    'accounts',
    'proxy-disable',
    'alice@example.com',
    '--reason',
    'holiday',
  ]);
  assert.equal(disabled.code, 0, disabled.stderr);
  let shown = JSON.parse(
    (await agw(['--data-dir', dataDir, 'accounts', 'show', 'alice@example.com', '--json'])).stdout,
  );
  assert.equal(shown.state, 'proxy-disabled');
  assert.equal(shown.proxy_disabled_reason, 'holiday');
  assert.equal((await agw(['--data-dir', dataDir, 'accounts', 'proxy-enable', 'alice@example.com'])).code, 0);
  shown = JSON.parse((await agw(['--data-dir', dataDir, 'accounts', 'show', 'alice@example.com', '--json'])).stdout);
  assert.equal(shown.state, 'active');
  assert.match(shown.refresh_token, /…|\*\*\*/);
});

test('exit codes: 2 for usage errors, 1 for failures with one clear line', async () => {
  const dataDir = await copyFixture();
  const unknownCommand = await agw(['--data-dir', dataDir, 'accounts', 'frobnicate']);
  assert.equal(unknownCommand.code, 2);
  const missing = await agw(['--data-dir', dataDir, 'accounts', 'show', 'nobody@example.com']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^error: .*nobody@example\.com.*\[AGW_ACCOUNT_NOT_FOUND\]\n$/);
  const badKey = await agw(['--data-dir', dataDir, 'config', 'set', 'proxy.nope', '1']);
  assert.equal(badKey.code, 2);
});
