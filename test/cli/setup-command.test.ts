/**
 * `agw setup` as a user runs it: the key and URL come from the data directory's config, HOME decides where the
 * client files are, and the exit codes follow the CLI's rules (2 usage, 1 failure).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../../bin/agw.js', import.meta.url));

function agw(home: string, args: string[]) {
  const result = spawnSync(process.execPath, [entry, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function fixture(): Promise<{ home: string; dataDir: string }> {
  const home = await mkdtemp(join(tmpdir(), 'agw-setup-cli-'));
  const dataDir = join(home, 'data');
  await mkdir(dataDir);
  await writeFile(
    join(dataDir, 'gui_config.json'),
    JSON.stringify({ proxy: { port: 8123, api_key: 'sk-cli-setup-key-0123456789abcdef' } }),
  );
  return { home, dataDir };
}

test('agw setup writes the config key and port into the client settings; --undo restores; --dry-run writes nothing', async () => {
  const { home, dataDir } = await fixture();
  const dry = agw(home, ['--data-dir', dataDir, 'setup', 'claude-code', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /dry run, nothing is written/);
  assert.match(dry.stdout, /would create .*\.claude\/settings\.json/);
  assert.match(dry.stdout, /env\.ANTHROPIC_AUTH_TOKEN = sk-c…cdef/);
  assert.equal(existsSync(join(home, '.claude')), false);

  const done = agw(home, ['--data-dir', dataDir, 'setup', 'claude-code']);
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /created .*settings\.json \(backup: .*\.agw-backup-\d{8}T\d{9}Z\.absent\)/);
  assert.match(done.stdout, /Undo with: agw setup claude-code --undo/);
  assert.doesNotMatch(done.stdout, /sk-cli-setup-key-0123456789abcdef/, 'the key is masked in the output');
  const settings = JSON.parse(await readFile(join(home, '.claude', 'settings.json'), 'utf8'));
  assert.equal(settings.env.ANTHROPIC_BASE_URL, 'http://127.0.0.1:8123');
  assert.equal(settings.env.ANTHROPIC_AUTH_TOKEN, 'sk-cli-setup-key-0123456789abcdef');

  const json = agw(home, ['--data-dir', dataDir, 'setup', 'codex', '--json', '--base-url', 'http://10.0.0.9:9000/']);
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout);
  assert.equal(report.client, 'codex');
  assert.equal(report.files[0].action, 'create');
  assert.match(
    await readFile(join(home, '.codex', 'config.toml'), 'utf8'),
    /base_url = "http:\/\/10\.0\.0\.9:9000\/v1"/,
  );

  const undone = agw(home, ['--data-dir', dataDir, 'setup', 'claude-code', '--undo']);
  assert.equal(undone.code, 0, undone.stderr);
  assert.match(undone.stdout, /removed .*settings\.json/);
  assert.deepEqual(await readdir(join(home, '.claude')), []);
});

test('agw setup: an unknown client is a usage error, a malformed file a failure with one clear line', async () => {
  const { home, dataDir } = await fixture();
  const unknown = agw(home, ['--data-dir', dataDir, 'setup', 'cursor']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Allowed choices are claude-code, codex, gemini-cli, opencode/);
  await mkdir(join(home, '.gemini'));
  await writeFile(join(home, '.gemini', 'settings.json'), '{"ui": ');
  const broken = agw(home, ['--data-dir', dataDir, 'setup', 'gemini-cli']);
  assert.equal(broken.code, 1);
  assert.match(
    broken.stderr,
    /^error: .*\.gemini\/settings\.json: not valid JSON with comments .* \[AGW_CONFIG_INVALID\]\n$/,
  );
  assert.deepEqual(await readdir(join(home, '.gemini')), ['settings.json'], 'no .env written, no backup');
  const nothing = agw(home, ['--data-dir', dataDir, 'setup', 'opencode', '--undo']);
  assert.equal(nothing.code, 1);
  assert.match(nothing.stderr, /nothing to undo \[AGW_NOT_FOUND\]/);
});
