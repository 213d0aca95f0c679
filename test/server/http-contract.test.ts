/**
 * The gateway's HTTP contract in each client dialect: 401, 400, 413 and 429 (all accounts limited) bodies and
 * headers; no account email in any response; client aborts cancel the upstream request; custom model mapping
 * with X-Mapped-Model; auth mode changes applied without restart.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { test } from 'node:test';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';

type Dialect = 'openai' | 'anthropic' | 'gemini';

const routes: Record<Dialect, { path: string; body: unknown; streamPath: string; streamBody: unknown }> = {
  openai: {
    path: '/v1/chat/completions',
    body: { model: 'gemini-3-flash', messages: [{ role: 'user', content: 'hi' }] },
    streamPath: '/v1/chat/completions',
    streamBody: { model: 'gemini-3-flash', stream: true, messages: [{ role: 'user', content: 'hi' }] },
  },
  anthropic: {
    path: '/v1/messages',
    body: { model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] },
    streamPath: '/v1/messages',
    streamBody: {
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    },
  },
  gemini: {
    path: '/v1beta/models/gemini-3-flash:generateContent',
    body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
    streamPath: '/v1beta/models/gemini-3-flash:streamGenerateContent?alt=sse',
    streamBody: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
  },
};

/** Checks the error body is in the dialect's own shape and returns its message. */
function dialectMessage(dialect: Dialect, body: Record<string, unknown>): string {
  if (dialect === 'anthropic') {
    assert.equal(body['type'], 'error');
    const error = body['error'] as { type: string; message: string };
    assert.equal(typeof error.type, 'string');
    return error.message;
  }
  const error = body['error'] as Record<string, unknown>;
  assert.ok(error, JSON.stringify(body));
  if (dialect === 'gemini') {
    assert.equal(typeof error['code'], 'number');
    assert.equal(typeof error['status'], 'string');
  } else {
    assert.equal(typeof error['type'], 'string');
  }
  return String(error['message']);
}

async function post(harness: Harness, path: string, body: string, headers: Record<string, string> = harness.headers) {
  const response = await fetch(`${harness.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  for (const email of harness.accounts.keys()) {
    assert.ok(!text.includes(email), `no email in the body: ${text}`);
    for (const [, value] of response.headers) assert.ok(!value.includes(email), 'no email in headers');
  }
  return { status: response.status, headers: response.headers, json: JSON.parse(text) as Record<string, unknown> };
}

test('401, 400 and 413 in each dialect', async () => {
  const harness = await startHarness({
    accounts: [{ email: 'contract@example.com' }],
    settings: { 'agw.body_limit_bytes': 4096 },
  });
  try {
    for (const dialect of ['openai', 'anthropic', 'gemini'] as const) {
      const route = routes[dialect];
      const missing = await post(harness, route.path, JSON.stringify(route.body), {});
      assert.equal(missing.status, 401, dialect);
      assert.equal(missing.headers.get('x-agw-error-code'), 'AGW_UNAUTHORIZED');
      assert.match(dialectMessage(dialect, missing.json), /Authorization: Bearer/, 'says which header to send');

      const malformed = await post(harness, route.path, '{"model": ');
      assert.equal(malformed.status, 400, dialect);
      assert.equal(malformed.headers.get('x-agw-error-code'), 'AGW_INVALID_JSON');
      dialectMessage(dialect, malformed.json);

      const wrongTypes = await post(
        harness,
        route.path,
        JSON.stringify({ model: 42, messages: 'nope', contents: 'nope' }),
      );
      assert.equal(wrongTypes.status, 400, dialect);
      dialectMessage(dialect, wrongTypes.json);

      const huge = await post(
        harness,
        route.path,
        JSON.stringify({ ...(route.body as object), padding: 'x'.repeat(10_000) }),
      );
      assert.equal(huge.status, 413, dialect);
      assert.equal(huge.headers.get('x-agw-error-code'), 'AGW_BODY_TOO_LARGE');
      dialectMessage(dialect, huge.json);
    }
  } finally {
    await harness.close();
  }
});

test('every account limited: 429 at once in each dialect with Retry-After about the shortest cooldown', async () => {
  const harness = await startHarness({
    accounts: [{ email: 'limit-a@example.com' }, { email: 'limit-b@example.com' }],
  });
  try {
    harness.fake.control.script({
      match: { endpoint: ['streamGenerateContent', 'generateContent'] },
      times: 'always',
      action: { kind: 'error', status: 429, reason: 'QUOTA_EXHAUSTED', quotaResetDelay: '3h0m0s' },
    });
    for (const dialect of ['openai', 'anthropic', 'gemini'] as const) {
      const route = routes[dialect];
      const limited = await post(harness, route.path, JSON.stringify(route.body));
      assert.equal(limited.status, 429, `${dialect}: ${JSON.stringify(limited.json)}`);
      const retryAfter = Number(limited.headers.get('retry-after'));
      assert.ok(retryAfter > 3 * 3600 - 120 && retryAfter <= 3 * 3600 + 5, `Retry-After about 3 h: ${retryAfter}`);
      dialectMessage(dialect, limited.json);
    }
    const before = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).length;
    await post(harness, routes.openai.path, JSON.stringify(routes.openai.body));
    assert.equal(
      harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).length,
      before,
      'no upstream call while every account cools down',
    );
  } finally {
    await harness.close();
  }
});

test('a client that aborts mid-stream makes the upstream request close', async () => {
  const harness = await startHarness({ accounts: [{ email: 'abort@example.com' }] });
  try {
    harness.fake.control.setStreamChunks(40);
    harness.fake.control.script({
      match: { endpoint: 'streamGenerateContent' },
      action: { kind: 'slow-chunks', delayMs: 100 },
    });
    const closedBefore = harness.fake.control.streamsClosedByClient();
    await new Promise<void>((resolve, reject) => {
      const request = httpRequest(`${harness.url}${routes.openai.streamPath}`, {
        method: 'POST',
        headers: { ...harness.headers, 'content-type': 'application/json' },
      });
      request.on('response', (response) => {
        response.once('data', () => {
          // The first bytes arrived: go away in the middle of the stream.
          request.destroy();
          resolve();
        });
      });
      request.on('error', () => undefined);
      setTimeout(() => reject(new Error('no stream data')), 5000).unref();
      request.end(JSON.stringify(routes.openai.streamBody));
    });
    await harness.fake.control.waitForStreamsClosedByClient(closedBefore + 1, 5000);
    assert.ok(harness.fake.control.streamsClosedByClient() > closedBefore);
  } finally {
    await harness.close();
  }
});

test('custom mappings reach upstream and X-Mapped-Model names the upstream model', async () => {
  const harness = await startHarness({
    accounts: [{ email: 'mapping@example.com' }],
    settings: { 'proxy.custom_mapping': { 'my-fast-model': 'gemini-3.1-flash-lite', 'team-*': 'gemini-3-flash' } },
  });
  try {
    for (const [model, expected] of [
      ['my-fast-model', 'gemini-3.1-flash-lite'],
      ['team-anything', 'gemini-3-flash'],
      ['gpt-4o', 'gemini-3-flash'],
    ] as const) {
      const response = await post(
        harness,
        '/v1/chat/completions',
        JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }),
      );
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-mapped-model'), expected);
      const upstream = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1);
      assert.equal((upstream?.body as { model?: string } | undefined)?.model, expected);
      assert.equal(response.json['model'], model, 'the client sees its own model name');
    }
  } finally {
    await harness.close();
  }
});

test('auth modes apply without restart; the key is accepted from every documented place', async () => {
  const harness = await startHarness({
    accounts: [{ email: 'auth@example.com' }],
    settings: { 'proxy.auth_mode': 'off' },
  });
  try {
    const body = JSON.stringify(routes.openai.body);
    assert.equal((await post(harness, routes.openai.path, body, {})).status, 200, 'off: no key needed');
    const patched = await fetch(`${harness.url}/api/config`, {
      method: 'PATCH',
      headers: { ...harness.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ changes: { 'proxy.auth_mode': 'all_except_health' } }),
    });
    assert.equal(patched.status, 200);
    assert.equal((await post(harness, routes.openai.path, body, {})).status, 401, 'now the key is required');
    assert.equal((await fetch(`${harness.url}/healthz`)).status, 200, 'health stays open');
    for (const headers of [
      { authorization: `Bearer ${harness.apiKey}` },
      { 'x-api-key': harness.apiKey },
      { 'x-goog-api-key': harness.apiKey },
    ]) {
      assert.equal(
        (await post(harness, routes.openai.path, body, headers)).status,
        200,
        JSON.stringify(Object.keys(headers)),
      );
    }
    assert.equal(
      (await post(harness, `${routes.gemini.path}?key=${harness.apiKey}`, JSON.stringify(routes.gemini.body), {}))
        .status,
      200,
    );
  } finally {
    await harness.close();
  }
});

test('a client repeating one wrong key is not taken for a guesser: other clients on the address keep working', async () => {
  const harness = await startHarness({ accounts: [{ email: 'throttle@example.com' }] });
  try {
    for (let index = 0; index < 20; index += 1) {
      const wrong = await post(harness, routes.openai.path, JSON.stringify(routes.openai.body), {
        authorization: 'Bearer stale-key-from-old-config',
      });
      assert.equal(wrong.status, 401, `attempt ${index}`);
    }
    assert.equal((await post(harness, routes.openai.path, JSON.stringify(routes.openai.body))).status, 200);
  } finally {
    await harness.close();
  }
});
