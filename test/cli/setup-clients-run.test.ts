/**
 * After `agw setup`, the real clients run headless with the temporary HOME it wrote and nothing else (no
 * ANTHROPIC_* / GEMINI_* variables, only PATH and HOME) and answer through agw in front of the fake Google.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setupClient } from '../../src/client-setup/apply.ts';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';

let harness: Harness;

before(async () => {
  // Claude Code sends the Agent SDK identity line, which Google's prompt filter refuses (on in the fake by default);
  // the gateway's opt-in trigger-phrase rewrite gets it through (docs/upstream.md, issue 16).
  harness = await startHarness({
    accounts: [{ email: 'setup-run@example.com' }],
    settings: { 'agw.prompt_rewrite': true },
  });
});
after(() => harness.close());

const onlyHome = (home: string) => ({ PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home });

// Asynchronous on purpose: the gateway and the fake Google answer from this process.
function run(file: string, args: string[], cwd: string, home: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { cwd, timeout: 120_000, env: onlyHome(home) }, (error, stdout, stderr) => {
      if (error && stdout.trim() === '') reject(new Error(`${file} failed (${String(error)}): ${stderr}`));
      else resolve({ stdout, stderr });
    });
    child.stdin?.end();
  });
}

function claudeBinary(): string {
  const candidates = [
    fileURLToPath(
      new URL(
        `../../node_modules/@anthropic-ai/claude-code-${process.platform}-${process.arch}/claude`,
        import.meta.url,
      ),
    ),
    fileURLToPath(new URL('../../node_modules/@anthropic-ai/claude-code/bin/claude.exe', import.meta.url)),
  ];
  const found = candidates.find((path) => existsSync(path) && statSync(path).size > 1_000_000);
  assert.ok(found, `Claude Code's native binary is installed (npm install): looked at ${candidates.join(', ')}`);
  return found;
}

test('Claude Code answers through agw with only the settings agw setup wrote', async () => {
  const home = await mkdtemp(join(tmpdir(), 'agw-setup-claude-'));
  await setupClient('claude-code', { baseUrl: harness.url, apiKey: harness.apiKey }, { home });
  const before = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).length;
  const { stdout } = await run(claudeBinary(), ['-p', 'Hello from setup', '--output-format', 'json'], home, home);
  const outcome = JSON.parse(stdout) as { result: string; is_error: boolean };
  assert.equal(outcome.is_error, false, outcome.result);
  assert.match(outcome.result, /Echo: [\s\S]*Hello from setup/);
  const calls = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).slice(before);
  const models = new Set(calls.map((call) => (call.body as { model?: string }).model));
  // Claude Code picks a slot per task (its default slot and a small one for titles); each went to a model setup set.
  const slots = new Set(['claude-opus-4-6-thinking', 'claude-sonnet-4-6', 'gemini-3-flash']);
  assert.ok(models.size > 0);
  for (const model of models) assert.ok(slots.has(model ?? ''), `${model} is one of the models agw setup configured`);
});

test('Gemini CLI answers through agw with only the settings agw setup wrote', async () => {
  const home = await mkdtemp(join(tmpdir(), 'agw-setup-gemini-'));
  const workspace = join(home, 'project');
  await mkdir(workspace);
  await setupClient('gemini-cli', { baseUrl: harness.url, apiKey: harness.apiKey }, { home });
  // Gemini CLI reads ~/.gemini/.env only in a folder the user has trusted. Trusting is the user's own standing choice
  // (Gemini CLI's first-start prompt writes exactly this file), not a gateway setting, so the test makes it here.
  await writeFile(join(home, '.gemini', 'trustedFolders.json'), JSON.stringify({ [workspace]: 'TRUST_FOLDER' }));
  const gemini = fileURLToPath(new URL('../../node_modules/@google/gemini-cli/bundle/gemini.js', import.meta.url));
  const before = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).length;
  const { stdout } = await run(process.execPath, [gemini, '-p', 'Hello from setup', '-o', 'json'], workspace, home);
  const outcome = JSON.parse(stdout) as { response?: string; error?: { message: string } };
  assert.equal(outcome.error, undefined, outcome.error?.message);
  assert.match(outcome.response ?? '', /Echo: [\s\S]*Hello from setup/);
  const calls = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).slice(before);
  assert.ok(
    // gemini-3.1-pro-preview was retired upstream; agw's built-in table sends it to gemini-pro-agent (docs/models.md).
    calls.some((call) => (call.body as { model?: string }).model === 'gemini-pro-agent'),
    'the model agw setup chose, as agw maps it',
  );
});
