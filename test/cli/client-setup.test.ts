/**
 * The client settings writers (src/client-setup/) against a temporary HOME: each sets only its own keys, backs the
 * old file up first, undoes from that backup, writes nothing on a dry run, and refuses a malformed file untouched.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { setupClient, undoClientSetup } from '../../src/client-setup/apply.ts';
import { readEnvValue } from '../../src/client-setup/env-file.ts';
import { localBaseUrl, normaliseBaseUrl } from '../../src/client-setup/target.ts';
import { type ClientName, clientNames } from '../../src/client-setup/types.ts';
import { clientWriters } from '../../src/client-setup/writers.ts';
import type { GatewayError } from '../../src/errors/catalogue.ts';

// Parsed settings files, walked by key in assertions.
// biome-ignore lint/suspicious/noExplicitAny: test data of arbitrary shape
type Loose = Record<string, any>;

const target = { baseUrl: 'http://127.0.0.1:8045', apiKey: 'sk-0123456789abcdef0123456789abcdef' };

async function temporaryHome(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'agw-setup-home-'));
}

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

/** Every file under `root` with its text, for "nothing changed" comparisons. */
async function snapshot(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(path, await readFile(path, 'utf8'));
  }
  return files;
}

let tick = 0;
// A fresh millisecond per run, so consecutive runs in one test get distinct backup stamps in a known order.
const clock = (): Date => {
  tick += 1;
  return new Date(Date.UTC(2026, 0, 1, 12, 0, 0, tick));
};

const readJson = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as Loose;

test('Claude Code: sets env and onboarding, keeps every other key, drops a conflicting ANTHROPIC_API_KEY', async () => {
  const home = await temporaryHome();
  const settings = join(home, '.claude', 'settings.json');
  const original = `${JSON.stringify(
    { model: 'opus', permissions: { allow: ['Bash(ls)'] }, env: { FOO: 'bar', ANTHROPIC_API_KEY: 'sk-ant-old' } },
    null,
    4,
  )}\n`;
  await put(settings, original);
  await put(join(home, '.claude.json'), '{"numStartups": 7, "projects": {"/x": {"a": 1}}}');
  const report = await setupClient('claude-code', target, { home, now: clock });
  const written = await readJson(settings);
  assert.deepEqual(written.permissions, { allow: ['Bash(ls)'] });
  assert.equal(written.model, 'opus');
  assert.equal(written.env.FOO, 'bar');
  assert.equal(written.env.ANTHROPIC_BASE_URL, target.baseUrl);
  assert.equal(written.env.ANTHROPIC_AUTH_TOKEN, target.apiKey);
  assert.equal(written.env.ANTHROPIC_API_KEY, undefined);
  assert.equal(written.env.ANTHROPIC_DEFAULT_SONNET_MODEL, 'claude-sonnet-4-6');
  assert.equal(written.env.ANTHROPIC_DEFAULT_OPUS_MODEL, 'claude-opus-4-6-thinking');
  assert.equal(written.env.ANTHROPIC_DEFAULT_HAIKU_MODEL, 'gemini-3-flash');
  assert.deepEqual(await readJson(join(home, '.claude.json')), {
    numStartups: 7,
    projects: { '/x': { a: 1 } },
    hasCompletedOnboarding: true,
  });
  // Untouched parts keep their formatting (4-space indentation of the user's file).
  assert.match(await readFile(settings, 'utf8'), /^ {4}"permissions": \{$/m);
  assert.deepEqual(
    report.files.map((file) => file.action),
    ['update', 'update'],
  );
  const backup = report.files[0]?.backup;
  assert.ok(backup?.startsWith(`${settings}.agw-backup-2026`));
  assert.equal(await readFile(backup!, 'utf8'), original, 'the backup holds the old bytes');
  const shownKey = report.files[0]?.changes.find((change) => change.key === 'env.ANTHROPIC_AUTH_TOKEN')?.value;
  assert.equal(shownKey, 'sk-0…cdef', 'the report masks the key');
});

test('Codex: adds the agw provider with the Responses wire API, keeps comments, tables and other providers', async () => {
  const home = await temporaryHome();
  const config = join(home, '.codex', 'config.toml');
  const original = [
    '# my codex settings',
    'model = "gpt-5"',
    'approval_policy = "on-request"',
    '',
    '[model_providers.ollama]',
    'name = "Ollama"',
    'base_url = "http://localhost:11434/v1"',
    '',
    '[model_providers.agw]',
    'name = "stale"',
    'base_url = "http://old:1/v1"',
    '',
    '[model_providers.agw.http_headers]',
    'X-Old = "1"',
    '',
    '[profiles.fast]',
    'model = "o4-mini"',
    '',
  ].join('\n');
  await put(config, original);
  await setupClient('codex', target, { home, now: clock });
  const text = await readFile(config, 'utf8');
  assert.match(text, /^# my codex settings$/m);
  const parsed = parseToml(text) as Loose;
  assert.equal(parsed.model_provider, 'agw');
  assert.equal(parsed.model, 'claude-sonnet-4-6');
  assert.equal(parsed.approval_policy, 'on-request');
  assert.deepEqual(
    { ...parsed.model_providers.agw },
    {
      name: 'agw (Antigravity Gateway)',
      base_url: 'http://127.0.0.1:8045/v1',
      env_key: 'AGW_API_KEY',
      wire_api: 'responses',
    },
  );
  assert.equal(parsed.model_providers.ollama.base_url, 'http://localhost:11434/v1');
  assert.equal(parsed.profiles.fast.model, 'o4-mini');
  assert.ok(!text.includes(target.apiKey), 'the key stays out of config.toml (env_key names the variable)');
  assert.equal(text.match(/^model = /gm)?.length, 2, 'one root model line, one in the profile');
});

test('Codex: a config that defines the agw provider as an inline table is refused, untouched', async () => {
  const home = await temporaryHome();
  const config = join(home, '.codex', 'config.toml');
  const original = 'model_providers = { agw = { name = "x", base_url = "http://x/v1" } }\n';
  await put(config, original);
  await assert.rejects(setupClient('codex', target, { home, now: clock }), (error: GatewayError) => {
    assert.equal(error.code, 'AGW_CONFIG_INVALID');
    assert.match(error.message, /config\.toml: .*cannot edit/);
    return true;
  });
  assert.deepEqual([...(await snapshot(home)).values()], [original]);
});

test('Gemini CLI: sets the .env lines and API-key auth; keeps other lines, comments and settings', async () => {
  const home = await temporaryHome();
  const environment = join(home, '.gemini', '.env');
  const settings = join(home, '.gemini', 'settings.json');
  await put(environment, '# mine\nexport GEMINI_API_KEY=AIza-old\nOTHER=1\nGEMINI_API_KEY=dup\n');
  await put(settings, '{\n  // comments are allowed here\n  "ui": { "theme": "Dracula" },\n}\n');
  await setupClient('gemini-cli', target, { home, now: clock });
  const environmentText = await readFile(environment, 'utf8');
  assert.equal(
    environmentText,
    `# mine\nGEMINI_API_KEY=${target.apiKey}\nOTHER=1\nGOOGLE_GEMINI_BASE_URL=${target.baseUrl}\n`,
  );
  assert.equal(readEnvValue(environmentText, 'GOOGLE_GEMINI_BASE_URL'), target.baseUrl);
  const settingsText = await readFile(settings, 'utf8');
  assert.match(settingsText, /\/\/ comments are allowed here/);
  assert.match(settingsText, /"theme": "Dracula"/);
  assert.match(settingsText, /"selectedType": "gemini-api-key"/);
  assert.match(settingsText, /"name": "gemini-3\.1-pro-preview"/);
});

test('opencode: adds the agw provider and model, writes into an existing opencode.jsonc rather than beside it', async () => {
  const home = await temporaryHome();
  const jsonc = join(home, '.config', 'opencode', 'opencode.jsonc');
  await put(jsonc, '{\n  // theme\n  "theme": "tokyonight",\n  "provider": { "ollama": { "npm": "x" } }\n}\n');
  await setupClient('opencode', target, { home, now: clock });
  const text = await readFile(jsonc, 'utf8');
  assert.match(text, /\/\/ theme/);
  const { parse } = await import('jsonc-parser');
  const parsed = parse(text) as Loose;
  assert.equal(parsed.theme, 'tokyonight');
  assert.deepEqual(parsed.provider.ollama, { npm: 'x' });
  assert.equal(parsed.provider.agw.npm, '@ai-sdk/anthropic');
  assert.deepEqual(parsed.provider.agw.options, { baseURL: 'http://127.0.0.1:8045/v1', apiKey: target.apiKey });
  assert.ok('claude-sonnet-4-6' in parsed.provider.agw.models);
  assert.equal(parsed.model, 'agw/claude-sonnet-4-6');
  assert.deepEqual(
    (await readdir(dirname(jsonc))).filter((name) => name === 'opencode.json'),
    [],
    'no second config file',
  );
});

for (const client of clientNames) {
  test(`${client}: dry run writes nothing; setup then undo gives back the exact old files`, async () => {
    const home = await temporaryHome();
    const writer = clientWriters[client as ClientName];
    const [first, ...rest] = writer.files(home);
    // One file exists with unrelated content (valid for its format), the others do not exist yet.
    const existing = first!.endsWith('.toml') ? 'model = "x"\n' : first!.endsWith('.env') ? 'A=1\n' : '{"keep": 1}\n';
    await put(first!, existing);
    const before = await snapshot(home);

    const dry = await setupClient(client as ClientName, target, { home, dryRun: true, now: clock });
    assert.deepEqual(await snapshot(home), before, 'a dry run writes nothing');
    assert.equal(dry.files[0]?.action, 'update');
    assert.ok(dry.files.every((file) => file.backup === undefined));

    const done = await setupClient(client as ClientName, target, { home, now: clock });
    assert.deepEqual(
      done.files.map((file) => file.action),
      ['update', ...rest.map(() => 'create')],
    );
    const again = await setupClient(client as ClientName, target, { home, now: clock });
    assert.ok(
      again.files.every((file) => file.action === 'unchanged' && file.backup === undefined),
      'a second run changes nothing and makes no backup',
    );

    const undryRun = await undoClientSetup(client as ClientName, { home, dryRun: true });
    assert.deepEqual(
      undryRun.files.map((file) => file.action),
      ['restore', ...rest.map(() => 'remove')],
    );
    assert.notDeepEqual(await snapshot(home), before, 'a dry undo restores nothing');
    await undoClientSetup(client as ClientName, { home });
    assert.deepEqual(await snapshot(home), before, 'undo restores the old file, removes created ones and its backups');
    await assert.rejects(undoClientSetup(client as ClientName, { home }), (error: GatewayError) => {
      assert.equal(error.code, 'AGW_NOT_FOUND');
      assert.match(error.message, /nothing to undo/);
      return true;
    });
  });

  test(`${client}: a malformed existing file is a clear error naming it, and nothing is written`, async () => {
    const home = await temporaryHome();
    const writer = clientWriters[client as ClientName];
    const broken = writer.files(home).find((path) => !path.endsWith('.env'))!;
    const garbage = broken.endsWith('.toml') ? '[model_providers\nbase_url = \n' : '{"env": {"A": 1,, }\n';
    await put(broken, garbage);
    const before = await snapshot(home);
    await assert.rejects(setupClient(client as ClientName, target, { home, now: clock }), (error: GatewayError) => {
      assert.equal(error.code, 'AGW_CONFIG_INVALID');
      assert.ok(error.message.startsWith(`${broken}: not valid`), error.message);
      assert.match(error.message, /line \d+, column \d+/);
      return true;
    });
    assert.deepEqual(await snapshot(home), before, 'the file is untouched and no backup or other file appears');
  });
}

test('a non-object where a key must go is refused with the key named', async () => {
  const home = await temporaryHome();
  const settings = join(home, '.claude', 'settings.json');
  await put(settings, '{"env": "oops"}');
  await assert.rejects(setupClient('claude-code', target, { home, now: clock }), /"env" is a string, not an object/);
  assert.equal(await readFile(settings, 'utf8'), '{"env": "oops"}');
});

test('Claude Code settings must be plain JSON: a comment is refused (Claude Code parses it strictly)', async () => {
  const home = await temporaryHome();
  await put(join(home, '.claude', 'settings.json'), '{ // no\n}');
  await assert.rejects(
    setupClient('claude-code', target, { home, now: clock }),
    /not valid JSON \(InvalidCommentToken/,
  );
});

test('undo steps back one run at a time, and a symlinked settings file stays a link', async () => {
  const home = await temporaryHome();
  const real = join(home, 'dotfiles', 'claude-settings.json');
  await put(real, '{"a": 1}\n');
  await mkdir(join(home, '.claude'));
  await symlink(real, join(home, '.claude', 'settings.json'));
  await setupClient('claude-code', target, { home, now: clock });
  await setupClient('claude-code', { ...target, baseUrl: 'http://127.0.0.1:9000' }, { home, now: clock });
  assert.equal((await readJson(real)).env.ANTHROPIC_BASE_URL, 'http://127.0.0.1:9000', 'written through the link');
  await undoClientSetup('claude-code', { home });
  assert.equal((await readJson(real)).env.ANTHROPIC_BASE_URL, target.baseUrl, 'first undo: the first run');
  await undoClientSetup('claude-code', { home });
  assert.equal(await readFile(real, 'utf8'), '{"a": 1}\n', 'second undo: the original');
  assert.deepEqual((await readdir(join(home, '.claude'))).sort(), ['settings.json']);
});

test('base URLs: a wildcard bind is reached on loopback; a given URL is checked and trimmed', () => {
  assert.equal(localBaseUrl('0.0.0.0', 8045), 'http://127.0.0.1:8045');
  assert.equal(localBaseUrl('::', 8045), 'http://[::1]:8045');
  assert.equal(localBaseUrl('127.0.0.1', 9), 'http://127.0.0.1:9');
  assert.equal(normaliseBaseUrl('https://agw.example.com/prefix/v1/'), 'https://agw.example.com/prefix');
  assert.equal(normaliseBaseUrl('http://127.0.0.1:8045/'), 'http://127.0.0.1:8045');
  assert.throws(() => normaliseBaseUrl('ftp://x'), /must start with http/);
  assert.throws(() => normaliseBaseUrl('not a url'), /is not a URL/);
  assert.throws(() => normaliseBaseUrl('http://u:p@x'), /credentials/);
});

test('.env values that need quoting are quoted so dotenv reads them back unchanged', async () => {
  const { editEnvFile } = await import('../../src/client-setup/env-file.ts');
  const text = editEnvFile('KEEP="a b"\n', [
    ['GEMINI_API_KEY', 'key with "quotes" and \\ backslash'],
    ['OTHER', "it's"],
    ['GOOGLE_GEMINI_BASE_URL', 'http://127.0.0.1:8045/prefix'],
  ]);
  assert.equal(
    text,
    `KEEP="a b"\nGEMINI_API_KEY='key with "quotes" and \\ backslash'\nOTHER="it's"\nGOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8045/prefix\n`,
  );
  assert.equal(readEnvValue(text, 'GEMINI_API_KEY'), 'key with "quotes" and \\ backslash');
  assert.equal(readEnvValue(text, 'OTHER'), "it's");
  assert.throws(() => editEnvFile('', [['X', `both ' and "`]]), /cannot be written to a \.env file/);
  assert.equal(editEnvFile(text, [['GEMINI_API_KEY', undefined]]).includes('GEMINI_API_KEY'), false, 'removal');
});
