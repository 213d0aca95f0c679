import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { envelope, type Loose, postJson, type Started, startWithAccount, tokenRequest } from './helpers.ts';
import { createFakeGoogle, type FakeGoogle } from './index.ts';

describe('recorded calls and counts', () => {
  let started: Started;
  before(async () => {
    started = await startWithAccount();
  });
  after(() => started.google.close());

  test('each call is recorded with endpoint, base, headers, parsed body, account and model; counts add up', async () => {
    const control = started.google.control;
    await tokenRequest(started.google, { grant_type: 'refresh_token', refresh_token: started.refreshToken });
    await postJson(
      `${started.google.urls.v1internal}:generateContent`,
      envelope('gemini-3-flash', 'one'),
      started.accessToken,
    );
    await postJson(
      `${started.google.urls.v1internalAlt1}:streamGenerateContent?alt=sse`,
      envelope('claude-sonnet-4-6', 'two'),
      started.accessToken,
    );
    await postJson(`${started.google.urls.v1internal}:loadCodeAssist`, { metadata: { ideType: 'ANTIGRAVITY' } });

    const calls = control.calls();
    assert.deepEqual(
      calls.map((call) => call.endpoint),
      ['token', 'generateContent', 'streamGenerateContent', 'loadCodeAssist'],
    );
    const [token, generate, stream, anonymous] = calls;
    assert.equal(token!.email, started.email);
    assert.equal((token!.body as Record<string, string>)['grant_type'], 'refresh_token');
    assert.equal(token!.outcome, 200);
    assert.equal(generate!.base, 'primary');
    assert.equal(generate!.model, 'gemini-3-flash');
    assert.equal(generate!.headers['authorization'], `Bearer ${started.accessToken}`);
    assert.equal(
      (generate!.body as { request: { contents: Array<{ parts: Array<{ text: string }> }> } }).request.contents[0]!
        .parts[0]!.text,
      'one',
    );
    assert.equal(stream!.base, 'alt1');
    assert.deepEqual(stream!.query, { alt: 'sse' });
    assert.equal(stream!.path, '/alt1/v1internal:streamGenerateContent');
    assert.equal(anonymous!.email, undefined);
    assert.equal(anonymous!.outcome, 401);
    assert.ok(calls.every((call, index) => index === 0 || call.sequence > calls[index - 1]!.sequence));
    assert.ok(calls.every((call) => typeof call.time === 'number'));

    assert.equal(control.calls({ email: started.email }).length, 3);
    assert.equal(control.calls({ model: 'claude-sonnet-4-6' }).length, 1);
    assert.equal(control.calls({ endpoint: ['generateContent', 'streamGenerateContent'] }).length, 2);
    assert.equal(control.calls({ base: 'alt1' }).length, 1);

    const counts = control.counts();
    assert.equal(counts.total, 4);
    assert.deepEqual(counts.byEndpoint, { token: 1, generateContent: 1, streamGenerateContent: 1, loadCodeAssist: 1 });
    assert.deepEqual(counts.byAccount[started.email], { token: 1, generateContent: 1, streamGenerateContent: 1 });
    assert.deepEqual(counts.byBase, { primary: 2, alt1: 1 });
  });

  test('the record keeps the newest calls within its limit', async () => {
    const google = await createFakeGoogle({ maxRecordedCalls: 3 });
    try {
      for (let index = 0; index < 8; index++) await postJson(`${google.urls.v1internal}:countTokens`, { index });
      const calls = google.control.calls();
      assert.equal(calls.length, 3);
      assert.deepEqual(
        calls.map((call) => (call.body as { index: number }).index),
        [5, 6, 7],
      );
      assert.equal(google.control.counts().total, 8);
    } finally {
      await google.close();
    }
  });

  test('reset forgets accounts, calls, scripts and settings', async () => {
    const control = started.google.control;
    control.script({ times: 'always', action: { kind: 'error', status: 500 } });
    control.setStreamChunks(9);
    control.reset();
    assert.deepEqual(control.calls(), []);
    assert.equal(control.counts().total, 0);
    assert.equal(control.account(started.email), undefined);
    const reply = await tokenRequest(started.google, {
      grant_type: 'refresh_token',
      refresh_token: started.refreshToken,
    });
    assert.equal(reply.status, 400, 'the account is gone, and the always-500 script with it');
  });
});

describe('HTTP control surface', () => {
  let google: FakeGoogle;
  const control = async (route: string, body?: unknown) => {
    const response = await fetch(`${google.urls.control}/${route}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Loose };
  };
  before(async () => {
    google = await createFakeGoogle();
  });
  after(() => google.close());

  test('accounts, tokens, scripts, calls, counts, settings, clock and reset over HTTP', async () => {
    const added = await control('accounts', { email: 'http@example.com', refreshToken: '1//http', tier: 'ULTRA' });
    assert.equal(added.status, 200);
    assert.equal(added.body.email, 'http@example.com');
    assert.match(added.body.projectId, /^fake-project-/);
    const { accessToken } = (await control('accounts/access-token', { email: 'http@example.com' })).body;
    const load = await postJson(`${google.urls.v1internal}:loadCodeAssist`, {}, accessToken);
    assert.match(load.body.paidTier.name, /Ultra/);

    assert.equal(
      (await control('script', { match: { endpoint: 'generateContent' }, action: { kind: 'error', status: 503 } }))
        .status,
      200,
    );
    assert.equal(
      (await postJson(`${google.urls.v1internal}:generateContent`, envelope('gemini-3-flash', 'x'), accessToken))
        .status,
      503,
    );
    assert.equal(
      (await postJson(`${google.urls.v1internal}:generateContent`, envelope('gemini-3-flash', 'x'), accessToken))
        .status,
      200,
    );

    await control('quota', {
      email: 'http@example.com',
      model: 'gemini-3-flash',
      remainingFraction: 0.5,
      resetTime: '2026-01-02T00:00:00Z',
    });
    const models = await postJson(`${google.urls.v1internal}:fetchAvailableModels`, {}, accessToken);
    assert.equal(models.body.models['gemini-3-flash'].quotaInfo.remainingFraction, 0.5);

    await control('settings', { streamChunks: 1 });
    const stream = await postJson(
      `${google.urls.v1internal}:streamGenerateContent?alt=sse`,
      envelope('gemini-3-flash', 'abcdef'),
      accessToken,
    );
    assert.equal(stream.text.split('data: ').length - 1, 1);

    const calls = await control('calls?endpoint=generateContent');
    assert.equal(calls.body.calls.length, 2);
    assert.deepEqual(
      calls.body.calls.map((call: { outcome: number }) => call.outcome),
      [503, 200],
    );
    const counts = await control('counts');
    assert.equal(counts.body.byAccount['http@example.com'].generateContent, 2);
    assert.deepEqual((await control('streams')).body, { streamsClosedByClient: 0 });

    await control('rotate', { email: 'http@example.com', on: true });
    const rotated = await tokenRequest(google, { grant_type: 'refresh_token', refresh_token: '1//http' });
    assert.equal(typeof rotated.body.refresh_token, 'string');
    assert.deepEqual((await control('revoke', { refreshToken: rotated.body.refresh_token })).body, { revoked: true });

    const before = (await control('clock')).body.now as number;
    const advanced = (await control('clock', { advanceSeconds: 3600 })).body.now as number;
    assert.ok(advanced - before >= 3_600_000);
    assert.equal((await postJson(`${google.urls.v1internal}:loadCodeAssist`, {}, accessToken)).status, 401);

    await control('reset', {});
    assert.equal((await control('counts')).body.total, 0);
  });

  test('unknown routes are 404 and bad bodies 400', async () => {
    assert.equal((await control('nothing-here')).status, 404);
    assert.equal((await control('script', { match: {} })).status, 400);
    assert.equal((await control('rotate', { on: true })).status, 400);
    const broken = await fetch(`${google.urls.control}/accounts`, { method: 'POST', body: '{nope' });
    assert.equal(broken.status, 400);
  });
});
