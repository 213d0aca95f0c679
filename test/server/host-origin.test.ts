/**
 * DNS rebinding and cross-site writes: the admin API and console answer only under known Host names, and
 * state-changing admin calls must carry a JSON body, an Authorization header or the admin header, from no other
 * site's Origin. Client API routes are not affected (SDKs and desktop clients send all sorts of Hosts).
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';

const password = 'host-check-admin-password';
let harness: Harness;
let port: string;

before(async () => {
  harness = await startHarness({
    settings: { 'proxy.admin_password': password, 'agw.allowed_hosts': ['gateway.lan'] },
  });
  const consoleDirectory = join(harness.dataDir, 'console');
  await mkdir(consoleDirectory, { recursive: true });
  await writeFile(join(consoleDirectory, 'index.html'), '<!doctype html><title>console</title>');
  await harness.gateway.close();
  harness = await startHarness({
    dataDir: harness.dataDir,
    fake: harness.fake,
    consoleDirectory,
    settings: { 'proxy.admin_password': password, 'agw.allowed_hosts': ['gateway.lan'] },
  });
  port = new URL(harness.url).port;
});
after(async () => {
  const fake = harness.fake;
  await harness.close();
  await fake.close();
});

function send(method: string, path: string, headers: Record<string, string>, body?: string) {
  const url = new URL(harness.url);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const admin = { authorization: `Bearer ${password}` };

test('the admin API and console refuse an unknown Host (a rebinding page) and accept the known ones', async () => {
  for (const path of ['/api/accounts', '/']) {
    const rebound = await send('GET', path, { ...admin, host: `evil.example:${port}` });
    assert.equal(rebound.status, 403, `${path} under a foreign Host`);
    assert.match(rebound.body, /AGW_FORBIDDEN_HOST/);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `gateway.lan:${port}`, 'LOCALHOST']) {
      assert.equal((await send('GET', path, { ...admin, host })).status, 200, `${path} under ${host}`);
    }
  }
  const client = await send('GET', '/v1/models', { ...harness.headers, host: 'anything.example' });
  assert.equal(client.status, 200, 'client API routes do not check the Host');
});

test('state-changing admin calls: no foreign Origin, and a JSON body or a non-simple header', async () => {
  const foreign = await send('POST', '/api/quota/refresh', { ...admin, origin: 'http://evil.example' });
  assert.equal(foreign.status, 403);
  assert.match(foreign.body, /AGW_CROSS_SITE_REQUEST/);
  const nullOrigin = await send('POST', '/api/quota/refresh', { ...admin, origin: 'null' });
  assert.equal(nullOrigin.status, 403, 'a sandboxed page sends Origin: null');
  const sameOrigin = await send('POST', '/api/quota/refresh', { ...admin, origin: `http://127.0.0.1:${port}` });
  assert.equal(sameOrigin.status, 200);

  const login = await fetch(`${harness.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const simple = await send('POST', '/api/quota/refresh', { cookie, 'content-type': 'text/plain' }, 'x');
  assert.equal(simple.status, 403, 'a simple (form-like) request with only the cookie is refused');
  const marked = await send('POST', '/api/quota/refresh', { cookie, 'x-agw-admin': '1' });
  assert.equal(marked.status, 200, "the console's header passes");
  const json = await send('POST', '/api/quota/refresh', { cookie, 'content-type': 'application/json' }, '{}');
  assert.equal(json.status, 200, 'a JSON body passes');
  const read = await send('GET', '/api/accounts', { cookie, origin: 'http://evil.example' });
  assert.equal(read.status, 200, 'reading changes nothing (and a foreign page cannot read the answer)');
});
