import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, describe, test } from 'node:test';
import { GatewayError } from '../../src/errors/catalogue.ts';
import { createUpstreamClient, type UpstreamClient } from '../../src/upstream/client.ts';
import type { UpstreamSettings } from '../../src/upstream/settings.ts';
import { type RawHandler, refusedPort, startServer, type TestServer } from '../support/http-server.ts';
import { anyRejection } from '../support/rejection.ts';

const servers: TestServer[] = [];
const clients: UpstreamClient[] = [];
after(async () => {
  for (const client of clients) await client.close();
  for (const server of servers) await server.close();
});

/** A loopback server standing in for one v1internal base (`base`), recorded and closed after the tests. */
async function upstreamServer(handler: RawHandler): Promise<TestServer & { base: string }> {
  const server = await startServer(handler);
  servers.push(server);
  return Object.assign(server, { base: `${server.url}/v1internal` });
}

function answer(status: number, text = '{}'): (request: IncomingMessage, response: ServerResponse) => void {
  return (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(text);
  };
}

async function refusedBase(): Promise<string> {
  return `http://127.0.0.1:${await refusedPort()}/v1internal`;
}

function client(endpoints: string[], overrides: Partial<UpstreamSettings> = {}): UpstreamClient {
  const created = createUpstreamClient({
    userAgent: 'Antigravity/4.3.0 (X11; Linux x86_64) Chrome/132.0.6834.160 Electron/39.2.3',
    clientVersion: '4.3.0',
    keepAliveTimeoutMs: 60_000,
    connections: 64,
    endpoints,
    connectTimeoutMs: 2_000,
    headersTimeoutMs: 5_000,
    chunkGapTimeoutMs: 5_000,
    totalTimeoutMs: 20_000,
    ...overrides,
  });
  clients.push(created);
  return created;
}

const baseCall = { method: 'streamGenerateContent', query: 'alt=sse', accessToken: 'ya29.secret', body: { a: 1 } };

async function drain(body: AsyncIterable<Uint8Array>): Promise<string> {
  let text = '';
  for await (const chunk of body) text += Buffer.from(chunk).toString('utf8');
  return text;
}

describe('endpoint fallback', () => {
  test('refused, 404 and 503 move on to the next endpoint, in order', async () => {
    const refused = await refusedBase();
    const notFound = await upstreamServer(answer(404));
    const broken = await upstreamServer(answer(503));
    const healthy = await upstreamServer(answer(200, '{"ok":true}'));
    const later = await upstreamServer(answer(200));
    const response = await client([refused, notFound.base, broken.base, healthy.base, later.base]).call(baseCall);
    assert.equal(response.status, 200);
    assert.equal(response.endpoint, healthy.base);
    assert.equal(await response.text(), '{"ok":true}');
    assert.deepEqual(
      [notFound.calls.length, broken.calls.length, healthy.calls.length, later.calls.length],
      [1, 1, 1, 0],
    );
    assert.equal(healthy.calls[0]!.path, '/v1internal:streamGenerateContent?alt=sse');
  });

  test('408 also falls back', async () => {
    const slow = await upstreamServer(answer(408));
    const healthy = await upstreamServer(answer(200));
    const response = await client([slow.base, healthy.base]).call(baseCall);
    assert.equal(response.endpoint, healthy.base);
    await response.text();
  });

  test('429 and other 4xx are returned as they are, without trying further', async () => {
    for (const status of [429, 400, 403]) {
      const first = await upstreamServer(answer(status, `{"error":${status}}`));
      const second = await upstreamServer(answer(200));
      const response = await client([first.base, second.base]).call(baseCall);
      assert.equal(response.status, status);
      assert.equal(await response.text(), `{"error":${status}}`);
      assert.equal(second.calls.length, 0);
    }
  });

  test('the last endpoint answer is returned even when it is a 5xx', async () => {
    const first = await upstreamServer(answer(500));
    const last = await upstreamServer(answer(503, 'down'));
    const response = await client([first.base, last.base]).call(baseCall);
    assert.equal(response.status, 503);
    assert.equal(await response.text(), 'down');
  });

  test('when the last endpoint is unreachable, the error carries every attempt', async () => {
    const broken = await upstreamServer(answer(503));
    const refused = await refusedBase();
    const error = await anyRejection(client([broken.base, refused]).call(baseCall));
    assert.ok(GatewayError.is(error));
    assert.equal(error.code, 'AGW_UPSTREAM_UNREACHABLE');
    assert.equal(error.upstreamStatus, 503);
    assert.deepEqual(error.details?.['attempts'], [
      { endpoint: broken.base, status: 503 },
      { endpoint: refused, error: 'network' },
    ]);
    assert.equal(error.details?.['lastEndpoint'], refused);
    assert.ok(!error.message.includes('ya29.secret'));
  });
});

describe('headers', () => {
  test('sends the §2.3 headers, the project and the Claude beta', async () => {
    const server = await upstreamServer(answer(200));
    const upstream = client([server.base], { userAgent: 'Antigravity/9.9.9 test', clientVersion: '9.9.9' });
    await (await upstream.call({ ...baseCall, projectId: 'proj-1', model: 'claude-sonnet-4-5' })).text();
    await (await upstream.call({ ...baseCall, projectId: 'test-project', model: 'gemini-3-flash' })).text();
    await (await upstream.call({ ...baseCall, projectId: '', model: 'claude-x', anthropicBeta: 'other-beta' })).text();
    const [first, second, third] = server.calls;
    assert.equal(first!.headers.authorization, 'Bearer ya29.secret');
    assert.equal(first!.headers['content-type'], 'application/json');
    assert.equal(first!.headers['user-agent'], 'Antigravity/9.9.9 test');
    assert.equal(first!.headers['x-client-name'], 'antigravity');
    assert.equal(first!.headers['x-client-version'], '9.9.9');
    assert.equal(first!.headers['x-goog-user-project'], 'proj-1');
    assert.equal(first!.headers['anthropic-beta'], 'claude-code-20250219');
    assert.deepEqual(JSON.parse(first!.body), { a: 1 });
    assert.equal(second!.headers['x-goog-user-project'], undefined);
    assert.equal(second!.headers['anthropic-beta'], undefined);
    assert.equal(third!.headers['x-goog-user-project'], undefined);
    assert.equal(third!.headers['anthropic-beta'], 'other-beta');
  });

  test('response headers are flattened to lower-case strings', async () => {
    const server = await upstreamServer((_request, response) => {
      response.setHeader('X-Multi', ['a', 'b']);
      response.writeHead(200, { 'Content-Type': 'text/event-stream' });
      response.end();
    });
    const response = await client([server.base]).call(baseCall);
    assert.equal(response.headers['content-type'], 'text/event-stream');
    assert.equal(response.headers['x-multi'], 'a, b');
    await response.text();
  });
});

describe('timeouts and cancellation', () => {
  test('no response headers in time is AGW_UPSTREAM_TIMEOUT', async () => {
    const stalled = await upstreamServer(() => undefined);
    const error = await anyRejection(client([stalled.base], { headersTimeoutMs: 100 }).call(baseCall));
    assert.ok(GatewayError.is(error));
    assert.equal(error.code, 'AGW_UPSTREAM_TIMEOUT');
    assert.deepEqual(error.details?.['attempts'], [{ endpoint: stalled.base, error: 'timeout' }]);
  });

  test('a gap between chunks longer than the chunk-gap budget is AGW_UPSTREAM_TIMEOUT', async () => {
    const server = await upstreamServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: {"first":true}\n\n');
    });
    const response = await client([server.base], { chunkGapTimeoutMs: 150 }).call(baseCall);
    const received: string[] = [];
    const error = await anyRejection(
      (async () => {
        for await (const chunk of response.body) received.push(Buffer.from(chunk).toString('utf8'));
      })(),
    );
    assert.deepEqual(received, ['data: {"first":true}\n\n']);
    assert.ok(GatewayError.is(error));
    assert.equal(error.code, 'AGW_UPSTREAM_TIMEOUT');
    assert.equal(error.details?.['phase'], 'chunk-gap');
  });

  test('the total budget cuts a stream that keeps trickling', async () => {
    const server = await upstreamServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      let sent = 0;
      const interval = setInterval(() => {
        sent += 1;
        if (sent > 500 || response.destroyed) {
          clearInterval(interval);
          response.end();
          return;
        }
        response.write(`data: ${sent}\n\n`);
      }, 10);
      response.on('close', () => clearInterval(interval));
    });
    const response = await client([server.base], { totalTimeoutMs: 200, chunkGapTimeoutMs: 5_000 }).call(baseCall);
    const error = await anyRejection(drain(response.body));
    assert.ok(GatewayError.is(error));
    assert.equal(error.code, 'AGW_UPSTREAM_TIMEOUT');
    assert.equal(error.details?.['phase'], 'total');
  });

  test('aborting mid-stream closes the upstream socket', async () => {
    let socketClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      socketClosed = resolve;
    });
    const server = await upstreamServer((request, response) => {
      request.socket.on('close', () => socketClosed());
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: 1\n\n');
    });
    const controller = new AbortController();
    const response = await client([server.base]).call({ ...baseCall, signal: controller.signal });
    const reason = new Error('client went away');
    const error = await anyRejection(
      (async () => {
        for await (const _chunk of response.body) controller.abort(reason);
      })(),
    );
    assert.equal(error, reason);
    await closed; // the test would time out (and fail) if the socket stayed open
  });

  test('aborting before headers arrive rejects with the reason and closes the socket', async () => {
    let socketClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      socketClosed = resolve;
    });
    let received!: () => void;
    const arrived = new Promise<void>((resolve) => {
      received = resolve;
    });
    const server = await upstreamServer((request) => {
      request.socket.on('close', () => socketClosed());
      received();
    });
    const controller = new AbortController();
    const pending = client([server.base]).call({ ...baseCall, signal: controller.signal });
    await arrived;
    controller.abort(new Error('gone'));
    const error = await anyRejection(pending);
    assert.equal((error as Error).message, 'gone');
    await closed;
  });

  test("a finished call lets go of the caller's signal, and a later abort of it touches nothing", async () => {
    const server = await upstreamServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end('data: 1\n\n');
    });
    const controller = new AbortController();
    const response = await client([server.base]).call({ ...baseCall, signal: controller.signal });
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1, 'linked while the call runs');
    assert.equal(await drain(response.body), 'data: 1\n\n');
    // The link is a listener removed when the call ends (not AbortSignal.any(), whose weak links outlive the call:
    // docs/performance.md), so a long-lived caller signal does not collect one per call.
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    controller.abort(new Error('late'));
  });

  test('breaking out of the iteration early destroys the upstream stream', async () => {
    let socketClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      socketClosed = resolve;
    });
    const server = await upstreamServer((request, response) => {
      request.socket.on('close', () => socketClosed());
      response.writeHead(200);
      response.write('data: 1\n\n');
    });
    const response = await client([server.base]).call(baseCall);
    for await (const _chunk of response.body) break;
    await closed;
  });
});

describe('keep-alive', () => {
  test('sequential calls reuse one socket', async () => {
    const server = await upstreamServer(answer(200, '{"n":1}'));
    const upstream = client([server.base]);
    for (let index = 0; index < 3; index += 1) {
      const response = await upstream.call(baseCall);
      assert.equal(await response.text(), '{"n":1}');
      // undici hands the socket back to its pool just after the body ends; a call made in that same tick
      // would open a second (also kept-alive) socket, so let the loop turn once as real traffic does.
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(server.calls.length, 3);
    assert.equal(server.connections, 1);
    assert.equal(new Set(server.calls.map((request) => request.remotePort)).size, 1);
  });

  test('a discarded fallback answer does not cost a new connection on that endpoint', async () => {
    const broken = await upstreamServer(answer(503, 'x'.repeat(1000)));
    const healthy = await upstreamServer(answer(200));
    const upstream = client([broken.base, healthy.base]);
    for (let index = 0; index < 2; index += 1) {
      await (await upstream.call(baseCall)).text();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(broken.calls.length, 2);
    assert.equal(broken.connections, 1);
  });
});
