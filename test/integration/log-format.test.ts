/**
 * Logs on stdout: readable lines on a terminal, JSON lines when stdout is a pipe or a file, and whatever
 * `agw.log_format` / AGW_LOG_FORMAT asks for.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { configFromObject, logFormatOf } from '../../src/config/load.ts';
import { eventually } from '../harness/gateway-harness.ts';
import { startCli } from '../support/run-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

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
  const dataDir = await tempDir('agw-log-format-');
  const gateway = startCli(['--data-dir', dataDir, 'serve', '--port', '0'], {
    env: { AGW_API_KEY: 'sk-log-format', ...environment },
  });
  const stdout = () => gateway.output().stdout;
  try {
    await eventually(() => (stdout().includes('agw is serving on') ? true : undefined), 20_000, 'the serving line');
    return stdout()
      .split('\n')
      .filter((line) => line.includes('Account pool loaded'));
  } finally {
    await gateway.stop();
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
