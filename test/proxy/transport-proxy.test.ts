/**
 * The v1internal transport through outbound proxies (issue 18): an account's own proxy carries its calls, a SOCKS5
 * proxy works like an HTTP CONNECT one, the global proxy applies when the account has none, NO_PROXY exempts a
 * target from it, and a dead proxy becomes AGW_ACCOUNT_PROXY_FAILED naming the proxy without its credentials.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { GatewayError } from '../../src/errors/catalogue.ts';
import { noOutboundProxy, type OutboundProxySettings } from '../../src/upstream/proxy/choose-proxy.ts';
import { createOutboundProxies } from '../../src/upstream/proxy/outbound-proxies.ts';
import { createUpstreamTransport, type TransportRequest } from '../../src/upstream/transport.ts';
import { replying, startServer, type TestServer } from '../support/http-server.ts';
import { type RecordingProxy, startConnectProxy, startSocksProxy, withCredentials } from '../support/proxy-servers.ts';
import { rejection } from '../support/rejection.ts';

const timeouts = { headersMs: 5_000, chunkGapMs: 5_000, totalMs: 10_000 };

function call(google: TestServer, bearer: string, proxy?: string): TransportRequest {
  return {
    method: 'generateContent',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: '{}',
    policy: { endpoints: [`${google.url}/v1internal`], fallbackOn: () => false },
    timeouts,
    ...(proxy === undefined ? {} : { proxy }),
  };
}

describe('transport through outbound proxies', () => {
  let google: TestServer;
  let connectProxy: RecordingProxy;
  let socksProxy: RecordingProxy;
  before(async () => {
    google = await startServer(replying(() => ({ status: 200, body: { ok: true } })));
    connectProxy = await startConnectProxy({ requireCredentials: 'alice:s3cret-pass' });
    socksProxy = await startSocksProxy();
  });
  after(async () => {
    await Promise.all([google.close(), connectProxy.close(), socksProxy.close()]);
  });

  const transportWith = (settings: OutboundProxySettings) => {
    const proxies = createOutboundProxies(() => settings);
    const transport = createUpstreamTransport({ connectTimeoutMs: 5_000, keepAliveTimeoutMs: 10_000 }, { proxies });
    return {
      transport,
      close: async () => {
        await transport.close();
        await proxies.close();
      },
    };
  };

  test("each account's calls go through its own proxy only; an account without one goes direct", async () => {
    const { transport, close } = transportWith(noOutboundProxy);
    const googleHost = new URL(google.url).host;
    const connectBefore = connectProxy.targets.length;
    const socksBefore = socksProxy.targets.length;
    try {
      const viaConnect = withCredentials(connectProxy.url, 'alice', 's3cret-pass');
      for (const [bearer, proxy] of [
        ['token-a', viaConnect],
        ['token-b', socksProxy.url],
        ['token-c', undefined],
      ] as const) {
        const answer = await transport.send(call(google, bearer, proxy));
        assert.equal(answer.status, 200);
        await answer.text();
      }
      assert.deepEqual(connectProxy.targets.slice(connectBefore), [googleHost]);
      assert.deepEqual(socksProxy.targets.slice(socksBefore), [googleHost]);
      assert.equal(connectProxy.credentials.at(-1), 'alice:s3cret-pass');
      const bearers = google.calls.slice(-3).map((recorded) => recorded.headers.authorization);
      assert.deepEqual(bearers, ['Bearer token-a', 'Bearer token-b', 'Bearer token-c']);
    } finally {
      await close();
    }
  });

  test('the global proxy carries calls of accounts without their own; NO_PROXY exempts a target', async () => {
    const before = socksProxy.targets.length;
    const global = transportWith({ ...noOutboundProxy, globalProxy: socksProxy.url });
    try {
      const answer = await global.transport.send(call(google, 'token-d'));
      await answer.text();
      assert.equal(socksProxy.targets.length, before + 1);
    } finally {
      await global.close();
    }
    const exempt = transportWith({ ...noOutboundProxy, globalProxy: socksProxy.url, noProxy: ['127.0.0.1'] });
    try {
      const answer = await exempt.transport.send(call(google, 'token-e'));
      await answer.text();
      assert.equal(socksProxy.targets.length, before + 1, 'NO_PROXY: the proxy saw nothing');
      // NO_PROXY never overrides an account's own proxy.
      const own = await exempt.transport.send(call(google, 'token-f', socksProxy.url));
      await own.text();
      assert.equal(socksProxy.targets.length, before + 2);
    } finally {
      await exempt.close();
    }
  });

  test('the environment proxy applies per target scheme', async () => {
    const before = socksProxy.targets.length;
    const https = transportWith({ ...noOutboundProxy, environmentProxy: { http: null, https: socksProxy.url } });
    try {
      await (await https.transport.send(call(google, 'token-g'))).text();
      assert.equal(socksProxy.targets.length, before, 'HTTPS_PROXY does not apply to an http target');
    } finally {
      await https.close();
    }
    const http = transportWith({ ...noOutboundProxy, environmentProxy: { http: socksProxy.url, https: null } });
    try {
      await (await http.transport.send(call(google, 'token-h'))).text();
      assert.equal(socksProxy.targets.length, before + 1);
    } finally {
      await http.close();
    }
  });

  test('a dead proxy is AGW_ACCOUNT_PROXY_FAILED naming the proxy without credentials', async () => {
    const dead = await startSocksProxy();
    const deadUrl = withCredentials(dead.url, 'bob', 'hunter2-secret');
    await dead.close();
    const deadConnect = await startConnectProxy();
    const deadConnectUrl = withCredentials(deadConnect.url, 'carol', 'other-secret');
    await deadConnect.close();
    const { transport, close } = transportWith(noOutboundProxy);
    const callsBefore = google.calls.length;
    try {
      for (const [url, label] of [
        [deadUrl, `socks5://127.0.0.1:${dead.port}`],
        [deadConnectUrl, `http://127.0.0.1:${deadConnect.port}`],
      ] as const) {
        const error = (await rejection(transport.send(call(google, 'token-i', url)))) as GatewayError;
        assert.equal(error.code, 'AGW_ACCOUNT_PROXY_FAILED');
        assert.match(error.message, new RegExp(label.replaceAll('.', '\\.')));
        assert.doesNotMatch(JSON.stringify({ message: error.message, details: error.details }), /secret|bob|carol/);
      }
      assert.equal(google.calls.length, callsBefore, 'nothing reached Google');
    } finally {
      await close();
    }
  });

  test('socks5:// resolves the target name locally, socks5h:// leaves it to the proxy', async () => {
    const { transport, close } = transportWith(noOutboundProxy);
    const port = new URL(google.url).port;
    const byName = { ...google, url: `http://localhost:${port}` };
    const before = socksProxy.targets.length;
    try {
      await (await transport.send(call(byName, 'token-k', socksProxy.url))).text();
      await (await transport.send(call(byName, 'token-l', socksProxy.url.replace('socks5:', 'socks5h:')))).text();
      const [local, remote] = socksProxy.targets.slice(before);
      assert.match(local ?? '', new RegExp(`^(127\\.0\\.0\\.1|::1):${port}$`));
      assert.equal(remote, `localhost:${port}`);
    } finally {
      await close();
    }
  });

  test('wrong proxy credentials are AGW_ACCOUNT_PROXY_FAILED too', async () => {
    const { transport, close } = transportWith(noOutboundProxy);
    try {
      const url = withCredentials(connectProxy.url, 'alice', 'wrong-password');
      const error = (await rejection(transport.send(call(google, 'token-j', url)))) as GatewayError;
      assert.equal(error.code, 'AGW_ACCOUNT_PROXY_FAILED');
      assert.doesNotMatch(error.message, /wrong-password/);
    } finally {
      await close();
    }
  });
});
