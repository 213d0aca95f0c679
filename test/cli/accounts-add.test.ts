/**
 * `agw accounts add` and `agw accounts import` against the fake Google, run as real CLI processes.
 */
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createFakeGoogle, type FakeGoogle } from '../../src/fake-google/index.ts';
import { openAccountStore } from '../../src/store/account-store.ts';
import { fakeEnvironment } from '../support/fake-environment.ts';
import { type CliResult, runCli } from '../support/run-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

/** `agw <args>` against the fake (asynchronous: the fake answers from this process). */
function agw(fake: FakeGoogle, args: string[], input?: string): Promise<CliResult> {
  return runCli(args, { env: fakeEnvironment(fake), ...(input === undefined ? {} : { input }) });
}

test('add: a good token is stored with email, name and project; a revoked one is refused with Google’s reason and stores nothing', async () => {
  const fake = await createFakeGoogle();
  const dataDir = await tempDir('agw-add-');
  try {
    fake.control.addAccount({ email: 'ana@example.com', name: 'Ana', refreshToken: '1//good-token-1111' });
    fake.control.addAccount({ email: 'bad@example.com', refreshToken: '1//bad-token-2222' });
    fake.control.revokeRefreshToken('1//bad-token-2222');

    const refused = await agw(fake, ['--data-dir', dataDir, 'accounts', 'add', '--refresh-token', '1//bad-token-2222']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /invalid_grant/);
    assert.doesNotMatch(refused.stderr, /bad-token-2222/, 'the token is not echoed');
    const afterRefusal = await readdir(join(dataDir, 'accounts')).catch(() => []);
    assert.deepEqual(afterRefusal, [], 'nothing stored');

    const added = await agw(
      fake,
      ['--data-dir', dataDir, 'accounts', 'add', '--refresh-token', '-'],
      '1//good-token-1111\n',
    );
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /ana@example\.com: added/);
    const stored = await openAccountStore(dataDir).get('ana@example.com');
    assert.equal(stored.name, 'Ana');
    assert.ok(stored.token.project_id, 'project resolved through loadCodeAssist');
    assert.equal(stored.token.refresh_token, '1//good-token-1111');

    const again = await agw(fake, ['--data-dir', dataDir, 'accounts', 'add', '--refresh-token', '1//good-token-1111']);
    assert.match(again.stdout, /ana@example\.com: updated/, 'upsert by email, no duplicate');
    assert.equal((await openAccountStore(dataDir).list()).accounts.length, 1);
  } finally {
    await fake.close();
  }
});

test('import: JSON array of tokens and objects, a progress line per account and a summary; failures named', async () => {
  const fake = await createFakeGoogle();
  const dataDir = await tempDir('agw-import-');
  try {
    fake.control.addAccount({ email: 'one@example.com', refreshToken: '1//import-one-aaaa' });
    fake.control.addAccount({ email: 'two@example.com', refreshToken: '1//import-two-bbbb' });
    fake.control.addAccount({ email: 'three@example.com', refreshToken: '1//import-three-cccc' });
    fake.control.revokeRefreshToken('1//import-three-cccc');
    const file = join(dataDir, 'tokens.json');
    await writeFile(
      file,
      JSON.stringify([
        '1//import-one-aaaa',
        { email: 'two@example.com', refresh_token: '1//import-two-bbbb' },
        '1//import-three-cccc',
      ]),
    );
    const result = await agw(fake, ['--data-dir', join(dataDir, 'data'), 'accounts', 'import', file]);
    assert.equal(result.code, 1, 'a failed account makes the exit code 1');
    const lines = result.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^\[1\/3\] .*one@example\.com: added/);
    assert.match(lines[1] ?? '', /^\[2\/3\] .*two@example\.com: added/);
    assert.match(lines[2] ?? '', /^\[3\/3\] .*failed: .*invalid_grant/);
    assert.equal(lines.at(-1), 'done: 2 added, 0 updated, 0 re-enabled, 1 failed');
    assert.doesNotMatch(result.stdout, /import-one-aaaa/, 'tokens are masked in progress lines');

    // Importing a reference-format data directory re-validates each stored token.
    const fromDir = await agw(fake, ['--data-dir', join(dataDir, 'copy'), 'accounts', 'import', join(dataDir, 'data')]);
    assert.equal(fromDir.code, 0, fromDir.stderr);
    assert.match(fromDir.stdout, /done: 2 added/);
  } finally {
    await fake.close();
  }
});
