/**
 * Issue 10, secrets end to end: a planted refresh token and API key, driven through successes and failures, never
 * show up in the log files, error bodies, admin responses, /metrics or the request log's database.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../../src/telemetry/logger.ts';
import { eventually, startHarness } from '../harness/gateway-harness.ts';
import { tempDir } from '../support/temp-dir.ts';
import { chat } from './helpers.ts';

const refreshCanary = '1//canary-refresh-token-7f3a';
const apiKeyCanary = 'sk-canary-api-key-91b2';
const canaries = [refreshCanary, apiKeyCanary, 'canary-refresh-token-7f3a', 'canary-api-key-91b2'];

function assertClean(where: string, text: string): void {
  for (const canary of canaries) assert.ok(!text.includes(canary), `${where} leaks ${canary}:\n${text.slice(0, 2000)}`);
}

test('the refresh-token and API-key canaries appear in no output of the gateway', async () => {
  const logDir = await tempDir('agw-canary-logs-');
  const stdoutLines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    pretty: false,
    logDir,
    stdout: { write: (line: string) => stdoutLines.push(line) },
  });
  const harness = await startHarness({
    apiKey: apiKeyCanary,
    logger,
    accounts: [
      { email: 'canary@example.com', refreshToken: refreshCanary, expired: true, tier: 'ULTRA' },
      { email: 'plain@example.com' },
    ],
    settings: { 'agw.strategy': 'round-robin' },
  });
  const bodies: Array<[string, string]> = [];
  const keep = async (label: string, response: Response): Promise<Response> => {
    bodies.push([`${label} (${response.status})`, await response.text()]);
    return response;
  };
  try {
    harness.fake.control.revokeRefreshToken(refreshCanary);
    const post = (path: string, headers: Record<string, string>, body: string) =>
      fetch(`${harness.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });

    // Successes and the invalid_grant on the canary account (rotation serves every request).
    await eventually(
      async () => {
        const result = await chat(harness.url, harness.headers, 'hello');
        bodies.push(['chat', result.text]);
        assert.equal(result.status, 200, result.text);
        return (await harness.store.get('canary@example.com')).disabled ? true : undefined;
      },
      5000,
      'the canary account disabled by invalid_grant',
    );
    const streamed = await chat(harness.url, harness.headers, 'streamed hello', { stream: true });
    bodies.push(['stream', streamed.text]);

    // Wrong keys that contain the canary, in every place a key is accepted.
    const chatBody = JSON.stringify({ model: 'gemini-3-flash', messages: [{ role: 'user', content: 'hi' }] });
    const wrong = `${apiKeyCanary}-wrong`;
    assert.equal(
      (await keep('bearer', await post('/v1/chat/completions', { authorization: `Bearer ${wrong}` }, chatBody))).status,
      401,
    );
    assert.equal((await keep('x-api-key', await post('/v1/messages', { 'x-api-key': wrong }, '{}'))).status, 401);
    const geminiBody = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
    await keep(
      'gemini ?key=',
      await post(`/v1beta/models/gemini-3-flash:generateContent?key=${encodeURIComponent(wrong)}`, {}, geminiBody),
    );
    await keep(
      'x-goog-api-key',
      await post('/v1beta/models/gemini-3-flash:generateContent', { 'x-goog-api-key': wrong }, geminiBody),
    );
    await keep(
      'admin wrong',
      await fetch(`${harness.url}/api/accounts`, { headers: { authorization: `Bearer ${wrong}` } }),
    );
    await keep('session wrong', await post('/api/session', {}, JSON.stringify({ password: wrong })));

    // The right key with failing requests: secrets pasted into the wrong fields, a revoked token enrolled again.
    await keep(
      'model is a key',
      await post('/v1/chat/completions', harness.headers, chatBody.replace('gemini-3-flash', apiKeyCanary)),
    );
    await keep(
      'model is a token',
      await post('/v1/chat/completions', harness.headers, chatBody.replace('gemini-3-flash', refreshCanary)),
    );
    await keep('bad json', await post('/v1/chat/completions', harness.headers, `{"model": "${refreshCanary}`));
    await keep(
      'enrol revoked',
      await post('/api/accounts', harness.headers, JSON.stringify({ refresh_token: refreshCanary })),
    );
    await keep(
      'import revoked',
      await post('/api/accounts/import', harness.headers, JSON.stringify({ text: refreshCanary })),
    );

    for (const path of [
      '/api/accounts',
      '/api/config',
      '/api/status',
      '/api/logs?limit=1000',
      '/api/pool',
      '/api/quota',
    ]) {
      await keep(path, await fetch(`${harness.url}${path}`, { headers: harness.headers }));
    }
    await keep('/metrics', await fetch(`${harness.url}/metrics`, { headers: harness.headers }));
    for (const [label, body] of bodies) assertClean(label, body);
    const accounts = bodies.find(([label]) => label.startsWith('/api/accounts'))![1];
    assert.match(accounts, /canary@example\.com/, 'the admin view does list the account (by email, token masked)');
  } finally {
    await harness.close({ keepData: true });
    logger.close();
  }
  try {
    const files = await readdir(logDir);
    assert.ok(
      files.some((name) => /^agw\.log\.\d{4}-\d{2}-\d{2}/.test(name)),
      `daily log file: ${files.join(', ')}`,
    );
    let logged = '';
    for (const name of files) logged += await readFile(join(logDir, name), 'utf8');
    assert.match(logged, /Disabling account due to invalid_grant \(canary@example\.com\)/, 'the seed line was logged');
    assertClean('log files', logged);
    assertClean('stdout', stdoutLines.join(''));

    // The request log (agw.db and its write-ahead log) holds rows, but no secret bytes.
    const databaseFiles = (await readdir(harness.dataDir).catch(() => [] as string[])).filter((name) =>
      name.startsWith('agw.db'),
    );
    assert.ok(databaseFiles.includes('agw.db'), `request log present: ${databaseFiles.join(', ')}`);
    for (const name of databaseFiles) {
      const bytes = await readFile(join(harness.dataDir, name));
      for (const canary of canaries) assert.equal(bytes.indexOf(canary), -1, `${name} holds ${canary}`);
    }
  } finally {
    await rm(logDir, { recursive: true, force: true });
    await rm(harness.dataDir, { recursive: true, force: true });
  }
});
