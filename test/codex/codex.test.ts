/**
 * OpenAI's Codex CLI itself (npm @openai/codex, headless `codex exec`) against agw through a custom model provider
 * with `wire_api = "responses"`, in a throw-away CODEX_HOME, against the fake Google: it answers a prompt, and it
 * completes a turn in which the model runs a shell command and reads its output.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';

/** The package's launcher; it starts the native binary of the platform package npm installed beside it. */
const launcher = fileURLToPath(new URL('../../node_modules/@openai/codex/bin/codex.js', import.meta.url));

interface CodexEvent {
  type: string;
  item?: { type: string; text?: string; command?: string; aggregated_output?: string; exit_code?: number | null };
}

interface UpstreamBody {
  request: {
    contents: Array<{ role: string; parts: Array<Record<string, unknown>> }>;
    tools?: Array<{ functionDeclarations?: Array<{ name: string }> }>;
  };
}

let harness: Harness;
let directory: string;
let workDirectory: string;
let codexHome: string;

before(async () => {
  assert.ok(existsSync(launcher), `Codex is installed (npm install): ${launcher}`);
  harness = await startHarness({ accounts: [{ email: 'codex@example.com' }] });
  directory = await mkdtemp(join(tmpdir(), 'agw-codex-'));
  workDirectory = join(directory, 'work');
  codexHome = join(directory, 'codex-home');
  await mkdir(workDirectory);
  await mkdir(codexHome);
  await writeFile(join(workDirectory, 'notes.txt'), 'the secret word is banana\n');
  // The provider snippet README.md documents, pointed at this gateway. The rest keeps Codex on loopback: without it
  // it checks for updates, sends analytics and fetches its plugin marketplace from GitHub at start-up.
  await writeFile(
    join(codexHome, 'config.toml'),
    [
      'model = "gemini-3-flash"',
      'model_provider = "agw"',
      'check_for_update_on_startup = false',
      '',
      '[model_providers.agw]',
      'name = "agw"',
      `base_url = "${harness.url}/v1"`,
      'env_key = "AGW_API_KEY"',
      'wire_api = "responses"',
      '',
      '[features]',
      'plugins = false',
      'remote_plugin = false',
      'apps = false',
      '',
      '[analytics]',
      'enabled = false',
      '',
    ].join('\n'),
  );
});
after(async () => {
  await harness.close();
  await rm(directory, { recursive: true, force: true });
});

// Asynchronous: the gateway and the fake Google answer from this process.
function codex(prompt: string): Promise<CodexEvent[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      // The sandbox is Codex's own business; without it the test does not depend on the machine's user namespaces.
      [launcher, 'exec', '--json', '--skip-git-repo-check', '--sandbox', 'danger-full-access', prompt],
      {
        cwd: workDirectory,
        timeout: 90_000,
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: workDirectory,
          CODEX_HOME: codexHome,
          AGW_API_KEY: harness.apiKey,
        },
      },
      (error, stdout, stderr) => {
        const events = stdout
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as CodexEvent);
        if (events.some((event) => event.type === 'turn.completed')) resolve(events);
        else reject(new Error(`codex exec failed (${String(error)}): ${stdout} ${stderr}`));
      },
    );
    child.stdin?.end();
  });
}

function items(events: readonly CodexEvent[], type: string): NonNullable<CodexEvent['item']>[] {
  return events.flatMap((event) => (event.type === 'item.completed' && event.item?.type === type ? [event.item] : []));
}

function upstreamCalls(): UpstreamBody[] {
  return harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).map((call) => call.body as UpstreamBody);
}

/** The shell tool this Codex version declares, and how to ask it to print notes.txt. */
function shellCall(): string {
  const declared = new Set(
    (upstreamCalls()[0]?.request.tools ?? []).flatMap((tool) => tool.functionDeclarations ?? []).map((d) => d.name),
  );
  if (declared.has('exec_command')) return 'call exec_command {"cmd":"cat notes.txt"}';
  if (declared.has('shell_command')) return 'call shell_command {"command":"cat notes.txt"}';
  if (declared.has('shell')) return 'call shell {"command":["cat","notes.txt"]}';
  assert.fail(`Codex declared no known shell tool: ${[...declared].join(', ')}`);
}

test('codex exec answers a prompt through agw', async () => {
  const events = await codex('Say hello to the gateway');
  const answer = items(events, 'agent_message').at(-1)?.text ?? '';
  assert.match(answer, /Echo: [\s\S]*Say hello to the gateway/);
  const calls = upstreamCalls();
  assert.equal(calls.length, 1, 'one Responses request, one upstream call');
  const declarations = (calls[0]?.request.tools ?? []).flatMap((tool) => tool.functionDeclarations ?? []);
  assert.ok(declarations.length > 0, "Codex's function tools reached Google as function declarations");
});

test('codex exec completes a turn that runs a shell command and sends its output back', async () => {
  const before = upstreamCalls().length;
  const events = await codex(shellCall());
  const commands = items(events, 'command_execution');
  assert.equal(commands.length, 1, 'Codex ran one command');
  assert.equal(commands[0]?.exit_code, 0);
  assert.match(commands[0]?.aggregated_output ?? '', /banana/);
  const answer = items(events, 'agent_message').at(-1)?.text ?? '';
  assert.match(answer, /Tool \w+ returned: .*banana/);
  const calls = upstreamCalls().slice(before);
  assert.equal(calls.length, 2, 'the tool call, then the answer to its output');
  const parts = calls[1]?.request.contents.flatMap((content) => content.parts) ?? [];
  assert.ok(
    parts.some((part) => 'functionCall' in part),
    'the shell call went back upstream',
  );
  assert.ok(
    parts.some((part) => 'functionResponse' in part),
    'with its output',
  );
});
