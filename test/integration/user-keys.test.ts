/**
 * User keys through a running gateway: accepted by every dialect's key header wherever the API key is, never by the
 * admin API; refused in the caller's own dialect when revoked, expired, from the wrong address, for a model they
 * may not use (401/403), or past their limits (429 with Retry-After); each request's log row names its key and the
 * usage stats group by key. The admin API creates (key shown once), lists (never the key) and revokes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RequestLogRow } from '../../src/telemetry/request-log.ts';
import { openUserKeyStore } from '../../src/telemetry/user-key-store.ts';
import { eventually, type Harness, startHarness } from '../harness/gateway-harness.ts';
import { admin } from './helpers.ts';

type Dialect = 'openai' | 'anthropic' | 'gemini';
const dialects: readonly Dialect[] = ['openai', 'anthropic', 'gemini'];

/** What the tests read of an answer: the error fields of the three dialects (success bodies are only printed). */
interface Answer {
  status: number;
  body: { type?: string; error: { code?: string | number; type?: string; message?: string; status?: string } };
  headers: Headers;
}

/** One small generation request in the dialect, the key sent the way that dialect's SDKs send it. */
async function generate(
  harness: Harness,
  dialect: Dialect,
  key: string,
  options: { model?: string; via?: 'query' } = {},
): Promise<Answer> {
  let path: string;
  let headers: Record<string, string> = { 'content-type': 'application/json' };
  let body: unknown;
  if (dialect === 'openai') {
    path = '/v1/chat/completions';
    headers = { ...headers, authorization: `Bearer ${key}` };
    body = { model: options.model ?? 'gemini-3-flash', messages: [{ role: 'user', content: 'hello there' }] };
  } else if (dialect === 'anthropic') {
    path = '/v1/messages';
    headers = { ...headers, 'x-api-key': key };
    body = {
      model: options.model ?? 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hello there' }],
    };
  } else {
    path = `/v1beta/models/${options.model ?? 'gemini-3-flash'}:generateContent`;
    if (options.via === 'query') path += `?key=${encodeURIComponent(key)}`;
    else headers = { ...headers, 'x-goog-api-key': key };
    body = { contents: [{ role: 'user', parts: [{ text: 'hello there' }] }] };
  }
  const response = await fetch(`${harness.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Answer['body'], headers: response.headers };
}

/** The error is in the dialect's own shape and carries the catalogue code. */
function assertDialectError(answer: Answer, dialect: Dialect, status: number, code: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.headers.get('x-agw-error-code'), code);
  const typeFor: Record<number, string> = {
    401: 'authentication_error',
    403: 'permission_error',
    429: 'rate_limit_error',
  };
  if (dialect === 'openai') {
    assert.equal(answer.body.error.code, code);
    assert.equal(answer.body.error.type, typeFor[status]);
  } else if (dialect === 'anthropic') {
    assert.equal(answer.body.type, 'error');
    assert.equal(answer.body.error.type, typeFor[status]);
  } else {
    assert.equal(answer.body.error.code, status);
    assert.equal(typeof answer.body.error.status, 'string');
  }
  assert.equal(typeof (dialect === 'anthropic' ? answer.body.error.message : answer.body.error.message), 'string');
}

async function createKey(harness: Harness, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const response = await fetch(`${harness.url}/api/keys`, {
    method: 'POST',
    headers: { ...harness.headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { key: { id: string }; secret: string };
  assert.equal(response.status, 201, JSON.stringify(answer));
  return { id: answer.key.id, secret: answer.secret };
}

describe('user keys through the gateway (auth mode strict)', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness({ accounts: [{ email: 'keys@example.com' }] });
  });
  after(async () => harness.close());

  test('accepted by each dialect and key header; the rows and usage stats name the key; admin routes refuse it', async () => {
    const { id, secret } = await createKey(harness, { name: 'alice' });
    for (const dialect of dialects) {
      const answer = await generate(harness, dialect, secret);
      assert.equal(answer.status, 200, `${dialect}: ${JSON.stringify(answer.body)}`);
    }
    assert.equal((await generate(harness, 'gemini', secret, { via: 'query' })).status, 200, '?key= works too');
    for (const path of ['/v1/models', '/v1beta/models', '/metrics', '/healthz']) {
      const answer = await fetch(`${harness.url}${path}`, { headers: { authorization: `Bearer ${secret}` } });
      assert.equal(answer.status, 200, `${path} takes a user key where it takes the API key (strict mode)`);
      await answer.arrayBuffer();
    }
    assert.equal((await fetch(`${harness.url}/metrics`)).status, 401, 'and still needs one');

    for (const path of ['/api/keys', '/api/accounts', '/api/status']) {
      const refused = await fetch(`${harness.url}${path}`, { headers: { authorization: `Bearer ${secret}` } });
      assert.equal(refused.status, 401, `${path} must not accept a user key`);
    }

    const rows = await eventually(async () => {
      const page = await admin<{ rows: RequestLogRow[]; total: number }>(
        harness.url,
        harness.headers,
        `/api/logs?key_id=${id}`,
      );
      return page.total >= 4 ? page.rows : undefined;
    });
    assert.equal(rows.length, 4);
    for (const row of rows) {
      assert.equal(row.keyId, id);
      assert.equal(row.keyName, 'alice');
      assert.ok(!JSON.stringify(row).includes(secret), 'the row never holds the key');
    }
    // A request with the gateway's own API key belongs to no user key.
    assert.equal((await generate(harness, 'openai', harness.apiKey)).status, 200);
    const usage = await eventually(async () => {
      const stats = await admin<{ rows: Array<{ key: string; name?: string; requests: number; totalTokens: number }> }>(
        harness.url,
        harness.headers,
        '/api/stats/usage?group_by=key',
      );
      return stats.rows.some((row) => row.key === '') ? stats.rows : undefined;
    });
    const alice = usage.find((row) => row.key === id);
    assert.equal(alice?.name, 'alice');
    assert.equal(alice?.requests, 4);
    assert.ok((alice?.totalTokens ?? 0) > 0);

    const listed = await admin<{ keys: Array<Record<string, unknown>> }>(harness.url, harness.headers, '/api/keys');
    const view = listed.keys.find((key) => key['id'] === id)!;
    assert.equal(view['state'], 'active');
    assert.ok(!JSON.stringify(listed).includes(secret), 'a list never shows the key');
    assert.equal(
      (
        await eventually(async () => {
          const again = await admin<{ keys: Array<Record<string, unknown>> }>(
            harness.url,
            harness.headers,
            '/api/keys',
          );
          const found = again.keys.find((key) => key['id'] === id);
          return typeof found?.['last_used_at'] === 'number' ? found : undefined;
        })
      )['name'],
      'alice',
    );
    assert.ok(Number(view['tokens_today']) > 0);
  });

  test('revoked and expired keys get 401, a wrong address or model 403, in each dialect', async () => {
    const revoked = await createKey(harness, { name: 'gone' });
    const deleted = await fetch(`${harness.url}/api/keys/${revoked.id}`, {
      method: 'DELETE',
      headers: harness.headers,
    });
    assert.equal(deleted.status, 200);
    assert.equal(((await deleted.json()) as { key: { state: string } }).key.state, 'revoked');

    // An expired key, written straight to agw.db as another process would (expiry cannot be set in the past).
    const store = openUserKeyStore({ path: join(harness.dataDir, 'agw.db') });
    const expired = store.create(
      {
        name: 'old',
        expiresAt: Date.now() - 1000,
        models: null,
        requestsPerMinute: null,
        tokensPerDay: null,
        ips: null,
      },
      Date.now() - 86_400_000,
    );
    store.close();

    const elsewhere = await createKey(harness, { name: 'office', ips: ['10.0.0.0/8', 'fd00::/8'] });
    const gemini = await createKey(harness, { name: 'gemini-only', models: ['gemini-*'] });
    for (const dialect of dialects) {
      assertDialectError(await generate(harness, dialect, revoked.secret), dialect, 401, 'AGW_KEY_REVOKED');
      assertDialectError(await generate(harness, dialect, expired.key), dialect, 401, 'AGW_KEY_EXPIRED');
      assertDialectError(await generate(harness, dialect, elsewhere.secret), dialect, 403, 'AGW_KEY_IP_NOT_ALLOWED');
      const otherModel = dialect === 'anthropic' ? 'claude-sonnet-4-6' : 'claude-opus-4-5';
      assertDialectError(
        await generate(harness, dialect, gemini.secret, { model: otherModel }),
        dialect,
        403,
        'AGW_KEY_MODEL_NOT_ALLOWED',
      );
    }
    assert.equal((await generate(harness, 'openai', gemini.secret, { model: 'gemini-3-flash' })).status, 200);
    assert.equal((await generate(harness, 'gemini', gemini.secret, { model: 'gemini-3-flash' })).status, 200);
    const unknown = await generate(harness, 'openai', 'sk-agw-not-a-key-at-all');
    assertDialectError(unknown, 'openai', 401, 'AGW_UNAUTHORIZED');
  });

  test('a key limited to some models is offered only those in the OpenAI and Gemini model lists', async () => {
    const limited = await createKey(harness, { name: 'lists-gemini-only', models: ['gemini-*'] });
    const listOf = async (path: string, key: string, field: 'id' | 'name'): Promise<string[]> => {
      const response = await fetch(`${harness.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(response.status, 200, path);
      const body = (await response.json()) as { data?: { id: string }[]; models?: { name: string }[] };
      return (body.data ?? body.models ?? []).map((entry) =>
        String((entry as Record<string, string>)[field]).replace(/^models\//, ''),
      );
    };
    const everything = await listOf('/v1/models', harness.apiKey, 'id');
    assert.ok(
      everything.some((id) => id.startsWith('claude-')),
      'the API key sees Claude models',
    );
    const openAiList = await listOf('/v1/models', limited.secret, 'id');
    assert.deepEqual(
      openAiList,
      everything.filter((id) => id.toLowerCase().startsWith('gemini-')),
    );
    assert.ok(openAiList.length > 0);
    const geminiList = await listOf('/v1beta/models', limited.secret, 'name');
    assert.ok(geminiList.length > 0 && geminiList.every((id) => id.toLowerCase().startsWith('gemini-')));
    const claude = everything.find((id) => id.startsWith('claude-')) ?? '';
    const single = await fetch(`${harness.url}/v1beta/models/${claude}`, {
      headers: { 'x-goog-api-key': limited.secret },
    });
    assert.equal(single.status, 404, 'a model outside the key is not described to it');
  });

  test('past its requests per minute or tokens per day a key gets 429 with Retry-After, in each dialect', async () => {
    for (const dialect of dialects) {
      const { secret } = await createKey(harness, { name: `rpm-${dialect}`, requests_per_minute: 1 });
      assert.equal((await generate(harness, dialect, secret)).status, 200);
      const limited = await generate(harness, dialect, secret);
      assertDialectError(limited, dialect, 429, 'AGW_KEY_RATE_LIMITED');
      const wait = Number(limited.headers.get('retry-after'));
      assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
    }
    for (const dialect of dialects) {
      const { secret } = await createKey(harness, { name: `tokens-${dialect}`, tokens_per_day: 1 });
      assert.equal((await generate(harness, dialect, secret)).status, 200, 'the request that crosses the limit runs');
      const spent = await generate(harness, dialect, secret);
      assertDialectError(spent, dialect, 429, 'AGW_KEY_TOKEN_LIMIT');
      const wait = Number(spent.headers.get('retry-after'));
      assert.ok(wait >= 1 && wait <= 86_400, `Retry-After ${wait}`);
    }
  });

  test('the admin API checks settings, shows the key once, answers 404 for no such key and refuses cross-site writes', async () => {
    const bad = await fetch(`${harness.url}/api/keys`, {
      method: 'POST',
      headers: { ...harness.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', ips: ['not-an-ip'], requests_per_minute: 0, expires: 'yesterday' }),
    });
    assert.equal(bad.status, 400);
    const problem = (await bad.json()) as { error: { code: string; message: string } };
    assert.equal(problem.error.code, 'AGW_INVALID_REQUEST');
    assert.match(problem.error.message, /not-an-ip/);
    assert.match(problem.error.message, /requests per minute/);
    assert.match(problem.error.message, /expires/);

    const duplicate = await createKey(harness, { name: 'twice' });
    const again = await fetch(`${harness.url}/api/keys`, {
      method: 'POST',
      headers: { ...harness.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'twice' }),
    });
    assert.equal(again.status, 400);
    assert.match(duplicate.secret, /^sk-agw-/);

    const missing = await fetch(`${harness.url}/api/keys/key_000000000000`, {
      method: 'DELETE',
      headers: harness.headers,
    });
    assert.equal(missing.status, 404);

    const crossSite = await fetch(`${harness.url}/api/keys`, {
      method: 'POST',
      headers: { ...harness.headers, 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ name: 'evil' }),
    });
    assert.equal(crossSite.status, 403);
    assert.equal(crossSite.headers.get('x-agw-error-code'), 'AGW_CROSS_SITE_REQUEST');
  });
});

test('with auth off a known user key still keeps its rules and names its rows; any other key passes as before', async () => {
  const harness = await startHarness({
    accounts: [{ email: 'off@example.com' }],
    settings: { 'proxy.auth_mode': 'off' },
  });
  try {
    const { id, secret } = await createKey(harness, { name: 'tool', models: 'gemini-*' });
    assertDialectError(
      await generate(harness, 'openai', secret, { model: 'claude-opus-4-5' }),
      'openai',
      403,
      'AGW_KEY_MODEL_NOT_ALLOWED',
    );
    assert.equal((await generate(harness, 'openai', secret)).status, 200);
    assert.equal((await generate(harness, 'openai', 'whatever-the-tool-sends')).status, 200);
    const rows = await eventually(async () => {
      const page = await admin<{ rows: RequestLogRow[]; total: number }>(
        harness.url,
        harness.headers,
        `/api/logs?key_id=${id}`,
      );
      return page.total >= 1 ? page.rows : undefined;
    });
    assert.equal(rows[0]?.keyName, 'tool');
  } finally {
    await harness.close();
  }
});
