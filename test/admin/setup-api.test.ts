/**
 * `POST /api/setup/:client` on the real gateway: admin-only, writes the client settings of the user the gateway
 * runs as (HOME is a temporary directory for this test process), answers in the admin error format, and never
 * carries the API key.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';

// The route writes under os.homedir(), which follows HOME: point it at a throw-away directory before anything runs.
const home = await mkdtemp(join(tmpdir(), 'agw-setup-api-home-'));
process.env['HOME'] = home;

// biome-ignore lint/suspicious/noExplicitAny: answers of arbitrary shape, walked by key in assertions
type Loose = Record<string, any>;

const password = 'admin-password-for-setup-tests';
let harness: Harness;

before(async () => {
  harness = await startHarness({ settings: { 'proxy.admin_password': password } });
});
after(() => harness.close());

async function post(path: string, body: unknown, authorization = `Bearer ${password}`) {
  const response = await fetch(`${harness.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(!text.includes(harness.apiKey), `${path} never answers with the API key`);
  return { status: response.status, body: JSON.parse(text) as Loose };
}

test('admin credentials are required', async () => {
  const anonymous = await post('/api/setup/claude-code', { dry_run: true }, '');
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.body['error'].code, 'AGW_UNAUTHORIZED');
  assert.equal(existsSync(join(home, '.claude')), false);
});

test('a dry run reports the plan and writes nothing; a run writes with the gateway address; undo restores', async () => {
  const dry = await post('/api/setup/gemini-cli', { dry_run: true });
  assert.equal(dry.status, 200);
  assert.equal(dry.body['dry_run'], true);
  assert.deepEqual(
    dry.body['files'].map((file: { action: string }) => file.action),
    ['create', 'create'],
  );
  assert.equal(existsSync(join(home, '.gemini')), false, 'nothing written');

  const done = await post('/api/setup/gemini-cli', {});
  assert.equal(done.status, 200);
  assert.match(done.body['files'][0].backup, /\.env\.agw-backup-\d{8}T\d{9}Z\.absent$/);
  const environment = await readFile(join(home, '.gemini', '.env'), 'utf8');
  assert.ok(environment.includes(`GOOGLE_GEMINI_BASE_URL=${harness.url}\n`), 'the address the console used');
  assert.ok(environment.includes(`GEMINI_API_KEY=${harness.apiKey}\n`), 'the gateway key is written to the file');

  const custom = await post('/api/setup/codex', { base_url: 'https://agw.example.com/' });
  assert.equal(custom.status, 200);
  assert.match(
    await readFile(join(home, '.codex', 'config.toml'), 'utf8'),
    /base_url = "https:\/\/agw\.example\.com\/v1"/,
  );

  const undone = await post('/api/setup/gemini-cli', { undo: true });
  assert.equal(undone.status, 200);
  assert.deepEqual(
    undone.body['files'].map((file: { action: string }) => file.action),
    ['remove', 'remove'],
  );
  assert.deepEqual(await readdir(join(home, '.gemini')), []);
});

test('errors come back in the admin format with their catalogue code', async () => {
  const unknown = await post('/api/setup/cursor', {});
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body['error'].code, 'AGW_NOT_FOUND');
  assert.match(unknown.body['error'].message, /known clients: claude-code, codex, gemini-cli, opencode/);
  const badBody = await post('/api/setup/codex', { dry_run: 'yes' });
  assert.equal(badBody.status, 400);
  assert.equal(badBody.body['error'].code, 'AGW_INVALID_REQUEST');
  const badUrl = await post('/api/setup/codex', { base_url: 'ftp://x' });
  assert.equal(badUrl.status, 400);
  await mkdir(join(home, '.config', 'opencode'), { recursive: true });
  await writeFile(join(home, '.config', 'opencode', 'opencode.json'), '{"provider": [}');
  const malformed = await post('/api/setup/opencode', {});
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body['error'].code, 'AGW_CONFIG_INVALID');
  assert.match(malformed.body['error'].message, /opencode\.json: not valid JSON with comments/);
  const nothing = await post('/api/setup/claude-code', { undo: true });
  assert.equal(nothing.status, 404);
  assert.match(nothing.body['error'].message, /nothing to undo/);
});
