/**
 * README's "Try it" section works as printed: `agw demo` prints the same curl lines (with its key and port), and
 * running them with curl gets answers in each protocol. Ctrl-C removes the demo's data directory.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { agwEntry } from '../support/run-cli.ts';

const run = promisify(execFile);

function readmeCurlLines(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /<!-- demo-curl:start -->\n```sh\n([\s\S]*?)```\n<!-- demo-curl:end -->/.exec(readme)?.[1];
  assert.ok(block, 'README has the demo curl block');
  return block.trimEnd().split('\n');
}

test('README demo curl lines match what agw demo prints, and work as printed', async () => {
  const child = spawn(process.execPath, [agwEntry, 'demo', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  try {
    const deadline = Date.now() + 20_000;
    while (!output.includes('Press Ctrl-C to stop.')) {
      assert.ok(Date.now() < deadline, `demo did not start: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const key = /API key: (sk-demo-[0-9a-f]+)/.exec(output)?.[1];
    const base = /agw demo is running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    assert.ok(key && base, output);
    const printed = output.split('\n');
    const expected = readmeCurlLines().map((line) =>
      line.replaceAll('<key>', key).replaceAll('http://127.0.0.1:8045', base),
    );
    for (const line of expected) assert.ok(printed.includes(line), `the demo prints: ${line}`);

    // Run each command exactly as printed (a command and its continuation line form one shell command).
    const commands: string[] = [];
    for (let index = 0; index < expected.length; index += 2)
      commands.push(`${expected[index]}\n${expected[index + 1]}`);
    const [openai, anthropic, gemini] = await Promise.all(
      commands.map(async (command) => (await run('sh', ['-c', command])).stdout),
    );
    assert.match(JSON.parse(openai ?? '').choices[0].message.content, /Echo: Hello from the demo/);
    assert.match(anthropic ?? '', /event: message_start[\s\S]*event: message_stop/);
    assert.match(JSON.parse(gemini ?? '').candidates[0].content.parts[0].text, /Echo: Hello/);

    const dataDir = /data dir \(removed on exit\): (\S+)/.exec(output)?.[1];
    assert.ok(dataDir && existsSync(dataDir));
    child.kill('SIGINT');
    await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(existsSync(dataDir), false, 'Ctrl-C removes the demo data');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
