/**
 * Security defaults, one test each: loopback bind, auth modes, the admin API behind its password, no CORS
 * reflection, no path traversal out of the console, no loopback/private image URLs, private file modes, and
 * throttled authentication failures.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createFakeGoogle } from '../../src/fake-google/index.ts';
import { startHarness } from '../harness/gateway-harness.ts';
import { fakeEnvironment } from '../support/fake-environment.ts';
import { runCli } from '../support/run-cli.ts';
import { tempDir } from '../support/temp-dir.ts';
import { clientCall, send } from './helpers.ts';

/** A GET whose path is sent byte for byte (fetch would normalise `..` away). */
function rawGet(
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: url.hostname, port: url.port, path, method: 'GET', headers, timeout: 5000 },
      (incoming) => {
        let body = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => {
          body += chunk;
        });
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body }));
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('timeout')));
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('security defaults', () => {
  test('binds 127.0.0.1 when no host is configured', async () => {
    const harness = await startHarness();
    try {
      assert.equal(harness.config.server.host, '127.0.0.1');
      const address = harness.gateway.app.server.address();
      assert.ok(typeof address === 'object' && address !== null);
      assert.equal(address.address, '127.0.0.1');
    } finally {
      await harness.close();
    }
  });

  test('auth modes: strict guards everything, all_except_health opens only health, off opens all, auto is off on loopback', async () => {
    const expectations: Array<{ mode: string; health: number; api: number }> = [
      { mode: 'strict', health: 401, api: 401 },
      { mode: 'all_except_health', health: 200, api: 401 },
      { mode: 'off', health: 200, api: 200 },
      { mode: 'auto', health: 200, api: 200 },
    ];
    for (const { mode, health, api } of expectations) {
      const harness = await startHarness({
        accounts: [{ email: 'auth@example.com' }],
        settings: { 'proxy.auth_mode': mode },
      });
      try {
        assert.equal((await fetch(`${harness.url}/healthz`)).status, health, `${mode} /healthz`);
        const anonymous = await send(harness.url, {}, clientCall('openai', 'hi', false));
        assert.equal(anonymous.status, api, `${mode} anonymous API`);
        const wrong = await send(harness.url, { 'x-api-key': 'sk-wrong' }, clientCall('anthropic', 'hi', false));
        assert.equal(wrong.status, api === 401 ? 401 : 200, `${mode} wrong key`);
        const keyed = await send(harness.url, harness.headers, clientCall('gemini', 'hi', false));
        assert.equal(keyed.status, 200, `${mode} with the key`);
      } finally {
        await harness.close();
      }
    }
  });

  test('with an admin password the admin API is closed to the API key and open to the password and its session', async () => {
    const password = 'correct horse battery staple';
    const harness = await startHarness({ settings: { 'proxy.admin_password': password } });
    try {
      assert.equal((await fetch(`${harness.url}/api/pool`)).status, 401);
      assert.equal((await fetch(`${harness.url}/api/pool`, { headers: harness.headers })).status, 401, 'API key');
      const withPassword = await fetch(`${harness.url}/api/pool`, { headers: { authorization: `Bearer ${password}` } });
      assert.equal(withPassword.status, 200);
      const login = await fetch(`${harness.url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ password }),
      });
      assert.equal(login.status, 204);
      const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
      assert.ok(cookie !== '');
      assert.equal((await fetch(`${harness.url}/api/pool`, { headers: { cookie } })).status, 200);
      const config = await (await fetch(`${harness.url}/api/config`, { headers: { cookie } })).text();
      assert.ok(!config.includes(password), 'the password is masked in the config view');
      assert.ok(!config.includes(harness.apiKey), 'the API key is masked in the config view');
    } finally {
      await harness.close();
    }
  });

  test('CORS: no Access-Control-Allow-Origin for a foreign origin, on simple requests and preflights', async () => {
    const harness = await startHarness({ accounts: [{ email: 'cors@example.com' }] });
    try {
      const origin = 'https://evil.example';
      const simple = await fetch(`${harness.url}/v1/models`, { headers: { ...harness.headers, origin } });
      const preflight = await fetch(`${harness.url}/v1/chat/completions`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
      const admin = await fetch(`${harness.url}/api/pool`, { headers: { ...harness.headers, origin } });
      for (const response of [simple, preflight, admin]) {
        assert.equal(response.headers.get('access-control-allow-origin'), null, `${response.url}`);
        assert.equal(response.headers.get('access-control-allow-credentials'), null);
      }
      assert.equal(simple.status, 200);
    } finally {
      await harness.close();
    }
  });

  test('the static console never serves a file outside its directory', async () => {
    const root = await tempDir('agw-console-');
    const consoleDirectory = join(root, 'web');
    await mkdir(join(consoleDirectory, 'assets'), { recursive: true });
    await writeFile(join(consoleDirectory, 'index.html'), '<!doctype html><title>console</title>');
    await writeFile(join(consoleDirectory, 'assets', 'app.js'), 'console.log(1)');
    const secret = 'TOP-SECRET-CONTENT-4242';
    await writeFile(join(root, 'secret.txt'), secret);
    const harness = await startHarness({ consoleDirectory });
    try {
      assert.equal((await rawGet(harness.url, '/assets/app.js')).status, 200, 'the console itself is served');
      const attempts = [
        '/../secret.txt',
        '/%2e%2e/secret.txt',
        '/%2E%2E/secret.txt',
        '/%2e%2e%2fsecret.txt',
        '/..%2fsecret.txt',
        '/..%5csecret.txt',
        '/assets/../../secret.txt',
        '/assets/%2e%2e/%2e%2e/secret.txt',
        '/%252e%252e/secret.txt',
        '//..//secret.txt',
        '/assets/..%2f..%2fsecret.txt',
        '/.%2e/secret.txt',
      ];
      for (const path of attempts) {
        const answer = await rawGet(harness.url, path, harness.headers);
        assert.ok(!answer.body.includes(secret), `${path} leaked the secret`);
        assert.equal(answer.status, 404, `${path} → ${answer.status}`);
      }
    } finally {
      await harness.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  test('image URLs: refused by default; with agw.allow_remote_images loopback and private hosts are still refused', async () => {
    const fake = await createFakeGoogle({ port: 0 });
    const loopbackImage = `${fake.urls.control}/image.png`;
    const imageRequest = (url: string) => ({
      path: '/v1/chat/completions',
      body: {
        model: 'gemini-3-flash',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'look' },
              { type: 'image_url', image_url: { url } },
            ],
          },
        ],
      },
    });
    const anthropicRequest = (url: string) => ({
      path: '/v1/messages',
      body: {
        model: 'gemini-3-flash',
        max_tokens: 64,
        messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url } }] }],
      },
    });
    const closed = await startHarness({ fake, accounts: [{ email: 'img@example.com' }] });
    try {
      const refused = await send(closed.url, closed.headers, imageRequest(loopbackImage));
      assert.equal(refused.status, 400);
      assert.equal(refused.headers.get('x-agw-error-code'), 'AGW_FORBIDDEN_URL');
      const refusedPublic = await send(closed.url, closed.headers, imageRequest('https://example.com/cat.png'));
      assert.equal(refusedPublic.headers.get('x-agw-error-code'), 'AGW_FORBIDDEN_URL');
    } finally {
      await closed.close({ keepFake: true });
    }
    const open = await startHarness({
      fake,
      accounts: [{ email: 'img2@example.com' }],
      settings: { 'agw.allow_remote_images': true },
    });
    try {
      const privateUrls = [
        loopbackImage,
        'http://localhost:8045/x.png',
        'http://127.1/x.png',
        'http://2130706433/x.png',
        'http://0x7f000001/x.png',
        'http://[::1]/x.png',
        'http://[::ffff:127.0.0.1]/x.png',
        'http://10.0.0.8/x.png',
        'http://172.20.1.1/x.png',
        'http://192.168.1.1/x.png',
        'http://169.254.169.254/latest/meta-data',
        'http://0.0.0.0/x.png',
        'http://[fd00::1]/x.png',
        'http://user:pass@example.com/x.png',
      ];
      const callsBefore = fake.control.calls({ endpoint: ['generateContent', 'streamGenerateContent'] }).length;
      for (const url of privateUrls) {
        for (const call of [imageRequest(url), anthropicRequest(url)]) {
          const result = await send(open.url, open.headers, call);
          assert.equal(result.status, 400, `${call.path} ${url}: ${result.text}`);
          assert.equal(result.headers.get('x-agw-error-code'), 'AGW_FORBIDDEN_URL', url);
        }
      }
      assert.equal(
        fake.control.calls({ endpoint: ['generateContent', 'streamGenerateContent'] }).length,
        callsBefore,
        'nothing was forwarded',
      );
      const allowed = await send(open.url, open.headers, imageRequest('https://example.com/cat.png'));
      assert.equal(allowed.status, 200, allowed.text);
      const forwarded = fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1);
      assert.match(JSON.stringify(forwarded?.body), /"fileUri":"https:\/\/example\.com\/cat\.png"/);
    } finally {
      await open.close();
      await fake.close();
    }
  });

  test('a fresh data directory holds files 0600 and directories 0700 after add and serve', async () => {
    const fake = await createFakeGoogle({ port: 0 });
    const parent = await tempDir('agw-modes-');
    const dataDir = join(parent, 'fresh');
    try {
      fake.control.addAccount({ email: 'modes@example.com', refreshToken: '1//modes-token' });
      await runCli(['--data-dir', dataDir, 'accounts', 'add', '--refresh-token', '1//modes-token'], {
        env: fakeEnvironment(fake),
        mustSucceed: true,
      });
      const harness = await startHarness({ fake, dataDir });
      try {
        const answer = await send(harness.url, harness.headers, clientCall('openai', 'hello', false));
        assert.equal(answer.status, 200);
        await fetch(`${harness.url}/api/config/api-key`, { method: 'POST', headers: harness.headers });
      } finally {
        await harness.close({ keepFake: true });
      }
      const wrong: string[] = [];
      const walk = async (directory: string): Promise<void> => {
        const mode = (await stat(directory)).mode & 0o777;
        if (mode !== 0o700) wrong.push(`${directory} ${mode.toString(8)}`);
        for (const entry of await readdir(directory, { withFileTypes: true })) {
          const path = join(directory, entry.name);
          if (entry.isDirectory()) await walk(path);
          else if (entry.isFile()) {
            const fileMode = (await stat(path)).mode & 0o777;
            if (fileMode !== 0o600) wrong.push(`${path} ${fileMode.toString(8)}`);
          }
        }
      };
      await walk(dataDir);
      assert.deepEqual(wrong, []);
    } finally {
      await fake.close();
      await rm(parent, { recursive: true, force: true });
    }
  });

  test('repeated authentication failures are answered 429 AGW_AUTH_THROTTLED with Retry-After', async () => {
    const harness = await startHarness({ settings: { 'proxy.admin_password': 'admin-secret' } });
    try {
      const statuses: number[] = [];
      for (let index = 0; index < 12; index++) {
        const answer = await send(
          harness.url,
          { authorization: `Bearer wrong-${index}` },
          clientCall('openai', 'x', false),
        );
        statuses.push(answer.status);
      }
      assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401));
      const throttled = await send(harness.url, { authorization: 'Bearer wrong' }, clientCall('anthropic', 'x', false));
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers.get('x-agw-error-code'), 'AGW_AUTH_THROTTLED');
      assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
      assert.equal(throttled.json && (throttled.json as { type?: string }).type, 'error', 'in the Anthropic dialect');
      // Even the right key waits while the address is throttled: a guesser learns nothing from a late success.
      const right = await send(harness.url, harness.headers, clientCall('openai', 'x', false));
      assert.equal(right.status, 429);
    } finally {
      await harness.close();
    }
  });

  test('admin password guessing through POST /api/session is throttled too', async () => {
    const harness = await startHarness({ settings: { 'proxy.admin_password': 'admin-secret' } });
    try {
      const statuses: number[] = [];
      for (let index = 0; index < 12; index++) {
        const answer = await fetch(`${harness.url}/api/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ password: `guess-${index}` }),
        });
        statuses.push(answer.status);
        if (answer.status === 429) assert.ok(Number(answer.headers.get('retry-after')) >= 1);
      }
      assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401));
      assert.deepEqual(statuses.slice(10), [429, 429]);
    } finally {
      await harness.close();
    }
  });
});
