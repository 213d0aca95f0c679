/**
 * Logs on stdout: readable lines on a terminal, JSON lines when stdout is a pipe or a file, and whatever
 * `agw.log_format` / AGW_LOG_FORMAT asks for.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { configFromObject, logFormatOf } from '../../src/config/load.ts';
import { eventually } from '../harness/gateway-harness.ts';

const agwEntry = fileURLToPath(new URL('../../bin/agw.js', import.meta.url));

test('auto is pretty on a terminal and JSON otherwise; json and pretty are taken as asked', () => {
  const config = (environment: Record<string, string>, file?: Record<string, unknown>) =>
    configFromObject('/tmp/agw-unused', file, {}, environment);
  assert.equal(logFormatOf(config({}), true), 'pretty');
  assert.equal(logFormatOf(config({}), false), 'json');
  assert.equal(logFormatOf(config({ AGW_LOG_FORMAT: 'json' }), true), 'json');
  assert.equal(logFormatOf(config({ AGW_LOG_FORMAT: 'pretty' }), false), 'pretty');
  assert.equal(logFormatOf(config({}, { agw: { log_format: 'json' } }), true), 'json');
  assert.throws(() => config({ AGW_LOG_FORMAT: 'xml' }), /AGW_LOG_FORMAT/);
});

/** The stdout lines of `agw serve` until the pool has loaded, then stops it. */
async function serveLines(environment: Record<string, string>): Promise<string[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'agw-log-format-'));
  const child = spawn(process.execPath, [agwEntry, '--data-dir', dataDir, 'serve', '--port', '0'], {
    env: { ...process.env, AGW_API_KEY: 'sk-log-format', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await eventually(() => (stdout.includes('agw is serving on') ? true : undefined), 20_000, 'the serving line');
    return stdout.split('\n').filter((line) => line.includes('Account pool loaded'));
  } finally {
    child.kill('SIGTERM');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  }
}

test('agw serve writes JSON lines to a pipe, and readable lines when AGW_LOG_FORMAT=pretty', async () => {
  const piped = await serveLines({});
  assert.equal(piped.length, 1, piped.join('\n'));
  const record = JSON.parse(piped[0]!) as { level: number; msg: string };
  assert.equal(record.level, 30);
  assert.match(record.msg, /^Account pool loaded: 0 usable$/);

  const pretty = await serveLines({ AGW_LOG_FORMAT: 'pretty' });
  assert.equal(pretty.length, 1, pretty.join('\n'));
  assert.match(pretty[0]!, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}Account pool loaded: 0 usable usable=0 skipped=0$/);
});
