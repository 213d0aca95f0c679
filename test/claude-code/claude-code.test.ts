/**
 * Claude Code itself (npm @anthropic-ai/claude-code, headless `claude -p`) with ANTHROPIC_BASE_URL at agw, against
 * the fake Google: it answers a prompt, and it completes a turn that uses a tool (Read) and sends the result back.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';
import { tempDir } from '../support/temp-dir.ts';

/** The native binary: the platform package npm installs as an optional dependency, else the wrapper's copy. */
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
  // The wrapper's bin is a small placeholder until its postinstall copies the native binary over it.
  const found = candidates.find((path) => existsSync(path) && statSync(path).size > 1_000_000);
  assert.ok(found, `Claude Code's native binary is installed (npm install): looked at ${candidates.join(', ')}`);
  return found;
}

let harness: Harness;
let workDirectory: string;

before(async () => {
  // Claude Code (-p) sends the Agent SDK identity line, which Google's prompt filter refuses (the fake enforces it by
  // default): Claude Code users turn on the trigger-phrase rewrite (docs/upstream.md).
  harness = await startHarness({
    accounts: [{ email: 'claude-code@example.com' }],
    settings: { 'agw.prompt_rewrite': true },
  });
  workDirectory = await tempDir('agw-claude-code-');
  await writeFile(join(workDirectory, 'notes.txt'), 'the secret word is banana\n');
});
after(() => harness.close());

// Asynchronous: the gateway and the fake Google answer from this process.
function claude(args: string[]): Promise<{ result: string; is_error: boolean; num_turns: number }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      claudeBinary(),
      ['-p', ...args, '--output-format', 'json'],
      {
        cwd: workDirectory,
        timeout: 90_000,
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: workDirectory,
          ANTHROPIC_BASE_URL: harness.url,
          ANTHROPIC_API_KEY: harness.apiKey,
          DISABLE_TELEMETRY: '1',
          DISABLE_AUTOUPDATER: '1',
          DISABLE_ERROR_REPORTING: '1',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        },
      },
      (error, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout) as never);
        } catch {
          reject(new Error(`claude failed (${String(error)}): ${stdout} ${stderr}`));
        }
      },
    );
    child.stdin?.end();
  });
}

test('claude -p answers a prompt through agw', async () => {
  const outcome = await claude(['Say hello to the gateway']);
  assert.equal(outcome.is_error, false, outcome.result);
  assert.match(outcome.result, /Echo: [\s\S]*Say hello to the gateway/);
});

test('claude -p completes a turn that uses a tool and sends its result back', async () => {
  const outcome = await claude(['call Read {"file_path":"notes.txt"}', '--allowedTools', 'Read']);
  assert.equal(outcome.is_error, false, outcome.result);
  assert.equal(outcome.num_turns, 2, 'one tool turn, one answer');
  assert.match(outcome.result, /Tool Read returned: .*banana/);
  const last = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1)?.body as {
    request: { contents: Array<{ parts: Array<Record<string, unknown>> }> };
  };
  const parts = last.request.contents.flatMap((content) => content.parts);
  assert.ok(
    parts.some((part) => 'functionCall' in part),
    'the tool call went back upstream',
  );
  assert.ok(
    parts.some((part) => 'functionResponse' in part),
    'with its result',
  );
});
