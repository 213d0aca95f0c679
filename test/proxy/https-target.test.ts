/**
 * The TLS step inside a proxy tunnel: Google is only reachable over https, so an account's proxy must carry a TLS
 * connection to the target and the target's certificate must still be verified (a proxy that could swap the
 * certificate unnoticed would see every bearer token). The fake Google speaks plain http, so this test stands up
 * its own loopback https server with a throw-away certificate, and runs the transport in a child process told to
 * trust that certificate through NODE_EXTRA_CA_CERTS (the only way to add a CA to Node's default trust store
 * without a code path that exists only for tests). The same child without the variable must refuse the target.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type RecordingProxy, startConnectProxy, startSocksProxy, withCredentials } from '../support/proxy-servers.ts';
import { tempDir } from '../support/temp-dir.ts';

const run = promisify(execFile);
const sourceRoot = resolve(import.meta.dirname, '../../src');
const opensslAvailable = spawnSync('openssl', ['version']).status === 0;

/** The child: one call per (bearer, proxy) pair through the real transport; prints each outcome as JSON. */
const childScript = `
import { noOutboundProxy } from ${JSON.stringify(`${sourceRoot}/upstream/proxy/choose-proxy.ts`)};
import { createOutboundProxies } from ${JSON.stringify(`${sourceRoot}/upstream/proxy/outbound-proxies.ts`)};
import { createUpstreamTransport } from ${JSON.stringify(`${sourceRoot}/upstream/transport.ts`)};
const [target, callsJson] = process.argv.slice(2);
const proxies = createOutboundProxies(() => noOutboundProxy);
const transport = createUpstreamTransport({ connectTimeoutMs: 5000, keepAliveTimeoutMs: 1000 }, { proxies });
const outcomes = [];
for (const [bearer, proxy] of JSON.parse(callsJson)) {
  try {
    const answer = await transport.send({
      method: 'generateContent',
      headers: { authorization: 'Bearer ' + bearer, 'content-type': 'application/json' },
      body: '{}',
      policy: { endpoints: [target + '/v1internal'], fallbackOn: () => false },
      timeouts: { headersMs: 5000, chunkGapMs: 5000, totalMs: 10000 },
      proxy,
    });
    outcomes.push({ status: answer.status, body: await answer.text() });
  } catch (error) {
    outcomes.push({ error: String(error?.code ?? error?.message ?? error) });
  }
}
await transport.close();
await proxies.close();
process.stdout.write(JSON.stringify(outcomes));
`;

interface Outcome {
  status?: number;
  body?: string;
  error?: string;
}

describe('https targets through outbound proxies', { skip: !opensslAvailable && 'openssl is not installed' }, () => {
  let directory: string;
  let certificatePath: string;
  let scriptPath: string;
  let google: Server;
  let googleUrl: string;
  const bearersSeen: string[] = [];
  let connectProxy: RecordingProxy;
  let socksProxy: RecordingProxy;

  before(async () => {
    directory = await tempDir('agw-proxy-tls-');
    certificatePath = join(directory, 'certificate.pem');
    const keyPath = join(directory, 'key.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-keyout',
      keyPath,
      '-out',
      certificatePath,
    ]);
    google = createServer({ key: readFileSync(keyPath), cert: readFileSync(certificatePath) }, (request, response) => {
      bearersSeen.push(request.headers.authorization ?? '');
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((ready) => google.listen(0, '127.0.0.1', ready));
    googleUrl = `https://localhost:${(google.address() as { port: number }).port}`;
    connectProxy = await startConnectProxy({ requireCredentials: 'alice:s3cret-pass' });
    socksProxy = await startSocksProxy();
    scriptPath = join(directory, 'call.ts');
    writeFileSync(scriptPath, childScript);
  });
  after(async () => {
    google.closeAllConnections();
    await new Promise((closed) => google.close(closed));
    await Promise.all([connectProxy.close(), socksProxy.close()]);
  });

  const callsThrough = async (calls: [string, string][], trustCertificate: boolean): Promise<Outcome[]> => {
    const environment = { ...process.env };
    delete environment.NODE_EXTRA_CA_CERTS;
    if (trustCertificate) environment.NODE_EXTRA_CA_CERTS = certificatePath;
    const { stdout } = await run(process.execPath, [scriptPath, googleUrl, JSON.stringify(calls)], {
      env: environment,
      timeout: 60_000,
    });
    return JSON.parse(stdout) as Outcome[];
  };

  test('CONNECT and SOCKS5 (both name-resolution modes) carry a verified TLS connection to the target', async () => {
    const viaConnect = withCredentials(connectProxy.url, 'alice', 's3cret-pass');
    const socksLocal = socksProxy.url;
    const socksRemote = socksProxy.url.replace('socks5://', 'socks5h://');
    const outcomes = await callsThrough(
      [
        ['token-a', viaConnect],
        ['token-b', socksLocal],
        ['token-c', socksRemote],
      ],
      true,
    );
    assert.deepEqual(outcomes, [
      { status: 200, body: '{"ok":true}' },
      { status: 200, body: '{"ok":true}' },
      { status: 200, body: '{"ok":true}' },
    ]);
    assert.deepEqual(bearersSeen.slice(-3), ['Bearer token-a', 'Bearer token-b', 'Bearer token-c']);
    const port = new URL(googleUrl).port;
    assert.deepEqual(connectProxy.targets.slice(-1), [`localhost:${port}`]);
    // socks5: agw resolves the name and hands the proxy an address; socks5h: the proxy gets the name.
    assert.deepEqual(socksProxy.targets.slice(-2), [`127.0.0.1:${port}`, `localhost:${port}`]);
  });

  test('a target whose certificate is not trusted is refused through the tunnel, and no bearer reaches it', async () => {
    const seenBefore = bearersSeen.length;
    const outcomes = await callsThrough(
      [
        ['token-d', withCredentials(connectProxy.url, 'alice', 's3cret-pass')],
        ['token-e', socksProxy.url],
      ],
      false,
    );
    assert.equal(outcomes.length, 2);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, undefined, `no answer may come back: ${JSON.stringify(outcome)}`);
      assert.ok(outcome.error, 'the call fails');
    }
    assert.equal(bearersSeen.length, seenBefore, 'the untrusted target never received a request');
  });
});
