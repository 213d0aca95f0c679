/**
 * Every /api route against the real gateway, authentication included: with an admin password set only the
 * password (header or session cookie) opens the admin API; secrets never appear in any answer.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, type Harness, startHarness } from '../harness/gateway-harness.ts';
import { runCli } from '../support/run-cli.ts';

const password = 'admin-password-for-tests';
const canaryToken = '1//canary-admin-refresh-token-5d1e';

let harness: Harness;
const admin = { authorization: `Bearer ${password}` };

before(async () => {
  harness = await startHarness({
    accounts: [{ email: 'first@example.com', refreshToken: canaryToken }, { email: 'second@example.com' }],
    settings: { 'proxy.admin_password': password },
  });
});
after(() => harness.close());

async function api(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${harness.url}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.headers ?? admin),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  assert.ok(!text.includes(canaryToken), `${method} ${path} leaks no refresh token`);
  assert.ok(!text.includes(password), `${method} ${path} leaks no password`);
  return {
    status: response.status,
    headers: response.headers,
    body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>,
  };
}

test('authentication: nothing without credentials; the API key does not open /api once a password is set', async () => {
  // Three routes only: every failure counts toward the per-address throttle (10 a minute) shared by this file.
  for (const path of ['/api/accounts', '/api/config', '/api/logs']) {
    const anonymous = await api('GET', path, { headers: {} });
    assert.equal(anonymous.status, 401, path);
    assert.deepEqual(Object.keys(anonymous.body), ['error']);
    assert.equal((anonymous.body['error'] as { code: string }).code, 'AGW_UNAUTHORIZED');
    assert.equal(
      (await api('GET', path, { headers: harness.headers })).status,
      401,
      `${path}: the API key is not the admin password`,
    );
  }
  for (const path of ['/api/accounts', '/api/pool', '/api/config', '/api/status', '/api/logs', '/api/quota']) {
    assert.equal((await api('GET', path)).status, 200, `${path} with the password`);
  }
  assert.equal((await api('GET', '/api/health', { headers: {} })).status, 200, 'health is public');
});

test('session login: httpOnly SameSite=Strict cookie, wrong password refused, logout', async () => {
  assert.equal((await api('POST', '/api/session', { body: { password: 'wrong' }, headers: {} })).status, 401);
  const login = await api('POST', '/api/session', { body: { password }, headers: {} });
  assert.equal(login.status, 204);
  const cookie = login.headers.get('set-cookie') ?? '';
  assert.match(cookie, /^agw_session=[^;]+/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const session = { cookie: cookie.split(';')[0] ?? '' };
  assert.deepEqual((await api('GET', '/api/session', { headers: session })).body, { authenticated: true });
  assert.equal((await api('GET', '/api/accounts', { headers: session })).status, 200);
  const bareDelete = await api('DELETE', '/api/session', { headers: session });
  assert.equal(bareDelete.status, 403, 'a cookie alone cannot change state: a cross-site form could send it');
  assert.equal((bareDelete.body['error'] as { code: string }).code, 'AGW_CROSS_SITE_REQUEST');
  assert.equal((await api('DELETE', '/api/session', { headers: { ...session, 'x-agw-admin': '1' } })).status, 204);
  assert.equal((await api('GET', '/api/accounts', { headers: session })).status, 401, 'logged out');
});

test('accounts: list, get by id or email, add, proxy switch with reason, reorder, remove', async () => {
  const listed = await api('GET', '/api/accounts');
  const accounts = listed.body['accounts'] as Array<Record<string, unknown>>;
  assert.deepEqual(
    accounts.map((account) => account['email']),
    ['first@example.com', 'second@example.com'],
  );
  assert.equal(accounts[0]?.['state'], 'active');
  assert.match(String(accounts[0]?.['refresh_token']), /…|\*\*\*/, 'masked');
  const first = accounts[0]!;
  assert.equal((await api('GET', `/api/accounts/${first['id']}`)).body['email'], 'first@example.com');
  assert.equal((await api('GET', '/api/accounts/second@example.com')).body['email'], 'second@example.com');
  assert.equal((await api('GET', '/api/accounts/nobody@example.com')).status, 404);

  harness.fake.control.addAccount({ email: 'third@example.com', refreshToken: '1//third-token-xxxx' });
  const added = await api('POST', '/api/accounts', { body: { refresh_token: '1//third-token-xxxx' } });
  assert.equal(added.status, 200);
  assert.equal(added.body['outcome'], 'added');
  assert.equal((await api('POST', '/api/accounts', { body: { refresh_token: 42 } })).status, 400);

  const switched = await api('POST', `/api/accounts/${first['id']}/proxy`, {
    body: { enabled: false, reason: 'holiday' },
  });
  assert.equal(switched.body['state'], 'proxy-disabled');
  assert.equal(switched.body['proxy_disabled_reason'], 'holiday');
  assert.equal(
    (await api('POST', `/api/accounts/${first['id']}/proxy`, { body: { enabled: true } })).body['state'],
    'active',
  );

  const third = (added.body['account'] as Record<string, unknown>)['id'] as string;
  assert.equal((await api('POST', '/api/accounts/reorder', { body: { ids: [third] } })).status, 204);
  const reordered = (await api('GET', '/api/accounts')).body['accounts'] as Array<Record<string, unknown>>;
  assert.equal(reordered[0]?.['id'], third);
  assert.equal((await api('DELETE', `/api/accounts/${third}`)).status, 204);
  assert.equal((await api('GET', `/api/accounts/${third}`)).status, 404);
});

test('import: one result per token, failures named', async () => {
  harness.fake.control.addAccount({ email: 'imported@example.com', refreshToken: '1//imported-token-aaaa' });
  const result = await api('POST', '/api/accounts/import', {
    body: { text: JSON.stringify(['1//imported-token-aaaa', { refresh_token: '1//unknown-token-bbbb' }]) },
  });
  const results = result.body['results'] as Array<Record<string, unknown>>;
  assert.equal(results.length, 2);
  assert.equal(results[0]?.['email'], 'imported@example.com');
  assert.match(String(results[1]?.['error']), /invalid_grant/);
  assert.equal((await api('POST', '/api/accounts/import', { body: { text: 'no tokens here' } })).status, 400);
});

test('pool, status, config read and patch (validated, applied at once), API key regeneration', async () => {
  const pool = await api('GET', '/api/pool');
  assert.ok((pool.body['counts'] as Record<string, number>)['usable']! >= 2);
  const status = await api('GET', '/api/status');
  assert.equal(status.body['auth_mode'], 'strict');
  assert.equal(typeof status.body['requests_per_minute'], 'number');

  const config = await api('GET', '/api/config');
  const settings = config.body['settings'] as Array<Record<string, unknown>>;
  const passwordSetting = settings.find((setting) => setting['key'] === 'proxy.admin_password');
  assert.equal(passwordSetting?.['secret'], true);

  const invalid = await api('PATCH', '/api/config', {
    body: { changes: { 'proxy.port': 'eighty', 'proxy.auth_mode': 'sometimes' } },
  });
  assert.equal(invalid.status, 400);
  assert.match(String((invalid.body['error'] as { message: string }).message), /proxy\.port[\s\S]*proxy\.auth_mode/);
  const patched = await api('PATCH', '/api/config', {
    body: { changes: { 'proxy.custom_mapping': { 'my-model': 'gemini-3-flash' } } },
  });
  assert.equal(patched.status, 200);
  assert.equal(
    harness.gateway.services.config().models.customMapping['my-model'],
    'gemini-3-flash',
    'applied without restart',
  );

  const regenerated = await api('POST', '/api/config/api-key');
  const newKey = String(regenerated.body['api_key']);
  assert.match(newKey, /^sk-[0-9a-f]{32}$/);
  // The harness pins the key through AGW_API_KEY, which overrides the file; the file holds the new key.
  assert.equal(harness.gateway.services.config().auth.apiKey, harness.apiKey);
});

test('request log, usage statistics and the event stream', async () => {
  const events = await fetch(`${harness.url}/api/events`, { headers: admin });
  assert.equal(events.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = events.body!.getReader();
  let received = '';
  const readUntil = async (pattern: RegExp) => {
    const deadline = Date.now() + 5000;
    while (!pattern.test(received)) {
      assert.ok(Date.now() < deadline, `event matching ${pattern} (got ${received.slice(-300)})`);
      const { value, done } = await reader.read();
      if (done) break;
      received += new TextDecoder().decode(value);
    }
  };
  const chat = await fetch(`${harness.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...harness.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gemini-3-flash', messages: [{ role: 'user', content: 'log me' }] }),
  });
  assert.equal(chat.status, 200);
  await readUntil(/event: request\ndata: .*gemini-3-flash/);

  // A change made by another process (the CLI) reaches the stream: the account's whole view, or `*` (refetch the
  // list) when the store saw the index change too.
  await runCli(
    ['--data-dir', harness.dataDir, 'accounts', 'proxy-disable', 'second@example.com', '--reason', 'from the CLI'],
    {
      env: harness.environment,
      mustSucceed: true,
    },
  );

  await readUntil(
    /event: account\ndata: (\{"id":"\*"\}|\{[^\n]*"email":"second@example\.com"[^\n]*"state":"proxy-disabled")/,
  );
  await reader.cancel();

  const logs = await eventually(async () => {
    const answer = await api('GET', '/api/logs?limit=10&protocol=openai');
    return (answer.body['total'] as number) > 0 ? answer.body : undefined;
  });
  const row = (logs['rows'] as Array<Record<string, unknown>>)[0]!;
  assert.equal(row['route'], '/v1/chat/completions');
  assert.equal(row['mappedModel'], 'gemini-3-flash');
  assert.equal((await api('GET', '/api/logs?limit=0')).status, 400, 'limits are validated');
  const usage = await api('GET', '/api/stats/usage?group_by=model');
  assert.ok((usage.body['rows'] as unknown[]).length > 0);
});

test('OAuth for the console: the callback with the right state stores the account; a wrong state stores nothing', async () => {
  const started = await api('POST', '/api/oauth/start');
  const { url, state } = started.body as { url: string; state: string };
  assert.match(url, /code_challenge_method=S256/);
  harness.fake.control.addAccount({ email: 'console-login@example.com', refreshToken: '1//console-login-token' });
  harness.fake.control.setLoginAccount('console-login@example.com');
  const redirect = await fetch(url, { redirect: 'manual' });
  const location = new URL(redirect.headers.get('location') ?? '');
  const forged = new URL(location);
  forged.searchParams.set('state', 'forged-state');
  const rejected = await fetch(forged);
  assert.equal(rejected.status, 400);
  assert.equal(
    (await api('GET', '/api/accounts/console-login@example.com')).status,
    404,
    'nothing stored for a wrong state',
  );
  const accepted = await fetch(location);
  assert.equal(accepted.status, 200);
  const status = await api('GET', `/api/oauth/status?state=${encodeURIComponent(state)}`);
  assert.equal(status.body['status'], 'done');
  assert.equal((await api('GET', '/api/accounts/console-login@example.com')).status, 200);
});
