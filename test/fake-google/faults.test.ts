import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  envelope,
  parseSseFrames,
  portOf,
  postJson,
  rawRequest,
  type Started,
  startWithAccount,
  tokenRequest,
} from './helpers.ts';

describe('scripted failures', () => {
  let started: Started;
  const generate = (body: unknown, base = started.google.urls.v1internal) =>
    postJson(`${base}:generateContent`, body, started.accessToken);
  before(async () => {
    started = await startWithAccount();
  });
  after(() => started.google.close());

  test('429 with each reason carries ErrorInfo metadata, RetryInfo and Retry-After', async () => {
    for (const reason of ['QUOTA_EXHAUSTED', 'RATE_LIMIT_EXCEEDED', 'MODEL_CAPACITY_EXHAUSTED'] as const) {
      started.google.control.script({
        match: { endpoint: 'generateContent', model: 'gemini-3-flash' },
        action: {
          kind: 'error',
          status: 429,
          reason,
          retryDelay: '12.5s',
          quotaResetDelay: '1h2m3s',
          quotaResetTimeStamp: '2026-03-05T07:20:42Z',
          retryAfter: 13,
        },
      });
      const reply = await generate(envelope('gemini-3-flash', 'x'));
      assert.equal(reply.status, 429);
      assert.equal(reply.headers.get('retry-after'), '13');
      const error = reply.body.error;
      assert.equal(error.status, 'RESOURCE_EXHAUSTED');
      assert.equal(error.details[0]['@type'], 'type.googleapis.com/google.rpc.ErrorInfo');
      assert.equal(error.details[0].reason, reason);
      assert.deepEqual(error.details[0].metadata, {
        model: 'gemini-3-flash',
        quotaResetDelay: '1h2m3s',
        quotaResetTimeStamp: '2026-03-05T07:20:42Z',
      });
      assert.deepEqual(error.details[1], { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12.5s' });
      assert.equal((await generate(envelope('gemini-3-flash', 'x'))).status, 200, 'a rule applies once by default');
    }
  });

  test('5xx, 401 and 403 VALIDATION_REQUIRED bodies', async () => {
    for (const [status, name] of [
      [500, 'INTERNAL'],
      [503, 'UNAVAILABLE'],
      [529, 'UNAVAILABLE'],
      [401, 'UNAUTHENTICATED'],
    ] as const) {
      started.google.control.script({ action: { kind: 'error', status } });
      const reply = await generate(envelope('gemini-3-flash', 'x'));
      assert.equal(reply.status, status);
      assert.equal(reply.body.error.code, status);
      assert.equal(reply.body.error.status, name);
    }
    started.google.control.script({
      action: {
        kind: 'error',
        status: 403,
        reason: 'VALIDATION_REQUIRED',
        validationUrl: 'https://accounts.google.com/verify?x=1',
      },
    });
    const reply = await generate(envelope('gemini-3-flash', 'x'));
    assert.equal(reply.status, 403);
    assert.equal(reply.body.error.details[0].reason, 'VALIDATION_REQUIRED');
    assert.equal(reply.body.error.details[0].metadata.validation_url, 'https://accounts.google.com/verify?x=1');
    assert.match(reply.text, /VALIDATION_REQUIRED/);
  });

  test('a raw body override and a 200 whose body is an error text', async () => {
    started.google.control.script({ action: { kind: 'error', status: 400, body: 'plain failure' } });
    const raw = await generate(envelope('gemini-3-flash', 'x'));
    assert.equal(raw.status, 400);
    assert.equal(raw.text, 'plain failure');
    started.google.control.script({
      match: { endpoint: 'streamGenerateContent' },
      action: { kind: 'error-text-200', text: 'upstream error: oops' },
    });
    const reply = await postJson(
      `${started.google.urls.v1internal}:streamGenerateContent?alt=sse`,
      envelope('gemini-3-flash', 'x'),
      started.accessToken,
    );
    assert.equal(reply.status, 200);
    assert.equal(reply.text, 'upstream error: oops');
  });

  test('times: N applications, then always; matching by email, model and base', async () => {
    started.google.control.script({
      times: 2,
      match: { model: 'claude-sonnet-4-6' },
      action: { kind: 'error', status: 503 },
    });
    const statuses: number[] = [];
    for (let index = 0; index < 3; index++) statuses.push((await generate(envelope('claude-sonnet-4-6', 'x'))).status);
    assert.deepEqual(statuses, [503, 503, 200]);
    assert.equal((await generate(envelope('gemini-3-flash', 'x'))).status, 200);
    started.google.control.script({
      match: { email: 'someone-else@example.com' },
      action: { kind: 'error', status: 500 },
    });
    assert.equal((await generate(envelope('gemini-3-flash', 'x'))).status, 200);
    const always = started.google.control.script({
      times: 'always',
      match: { base: 'alt1' },
      action: { kind: 'error', status: 500 },
    });
    for (let index = 0; index < 3; index++) {
      assert.equal((await generate(envelope('gemini-3-flash', 'x'), started.google.urls.v1internalAlt1)).status, 500);
    }
    assert.equal((await generate(envelope('gemini-3-flash', 'x'), started.google.urls.v1internalAlt2)).status, 200);
    assert.equal(always.remaining(), Infinity);
    always.cancel();
    assert.equal((await generate(envelope('gemini-3-flash', 'x'), started.google.urls.v1internalAlt1)).status, 200);
    started.google.control.clearScripts();
  });

  test('token endpoint: scripted invalid_grant, 503 and reset', async () => {
    const refresh = () =>
      tokenRequest(started.google, { grant_type: 'refresh_token', refresh_token: started.refreshToken });
    started.google.control.script({ match: { email: started.email }, action: { kind: 'invalid-grant' } });
    const denied = await refresh();
    assert.equal(denied.status, 400);
    assert.equal(denied.body.error, 'invalid_grant');
    started.google.control.script({ match: { endpoint: 'token' }, action: { kind: 'error', status: 503 } });
    const unavailable = await refresh();
    assert.equal(unavailable.status, 503);
    assert.equal(typeof unavailable.body.error, 'string');
    started.google.control.script({ match: { endpoint: 'token' }, action: { kind: 'reset-before-headers' } });
    await assert.rejects(refresh());
    assert.equal((await refresh()).status, 200);
  });

  test('failing bases: reset, refuse, status; the refused URL refuses connections', async () => {
    const control = started.google.control;
    control.failBase('primary', { status: 404 });
    assert.equal((await generate(envelope('gemini-3-flash', 'x'))).status, 404);
    control.failBase('primary', 'reset');
    await assert.rejects(generate(envelope('gemini-3-flash', 'x')));
    control.failBase('primary', 'refuse');
    await assert.rejects(generate(envelope('gemini-3-flash', 'x')));
    assert.equal((await generate(envelope('gemini-3-flash', 'x'), started.google.urls.v1internalAlt2)).status, 200);
    control.failBase('primary', null);
    assert.equal((await generate(envelope('gemini-3-flash', 'x'))).status, 200);
    await assert.rejects(
      generate(envelope('gemini-3-flash', 'x'), started.google.urls.v1internalRefused),
      (error: Error) => {
        assert.equal((error.cause as NodeJS.ErrnoException | undefined)?.code, 'ECONNREFUSED');
        return true;
      },
    );
  });

  test('latency holds the response: a client that gives up first is observed', async () => {
    started.google.control.script({ action: { kind: 'latency', ms: 60_000 } });
    const closed = new Promise((resolve) => started.google.control.events.once('client-closed', resolve));
    const body = JSON.stringify(envelope('gemini-3-flash', 'y'));
    const held = await rawRequest(
      portOf(started.google),
      '/v1internal:generateContent',
      { authorization: `Bearer ${started.accessToken}` },
      body,
      100,
    );
    assert.equal(held.ending, 'timeout');
    assert.equal(held.statusLine, '');
    const call = (await closed) as { outcome: string; endpoint: string };
    assert.equal(call.outcome, 'client-closed');
    assert.equal(call.endpoint, 'generateContent');
    started.google.control.script({ action: { kind: 'latency', ms: 1, jitterMs: 2 } });
    assert.equal((await generate(envelope('gemini-3-flash', 'x'))).status, 200);
  });
});

describe('stream faults and framing on the wire', () => {
  let started: Started;
  const streamPath = '/v1internal:streamGenerateContent?alt=sse';
  const raw = (text: string, timeoutMs = 5000) =>
    rawRequest(
      portOf(started.google),
      streamPath,
      { authorization: `Bearer ${started.accessToken}` },
      JSON.stringify(envelope('gemini-3-flash', text)),
      timeoutMs,
    );
  before(async () => {
    started = await startWithAccount();
  });
  after(() => started.google.close());

  test('frames written in small pieces with delays reassemble into the same frames', async () => {
    const whole = await raw('split me into many pieces please');
    started.google.control.script({ action: { kind: 'split-writes', pieceBytes: 7, delayMs: 1 } });
    const split = await raw('split me into many pieces please');
    assert.equal(split.ending, 'end');
    assert.ok(split.reads > 10, `expected many socket reads, got ${split.reads}`);
    const normalise = (body: Buffer) =>
      parseSseFrames(body.toString('utf8')).map((chunk) => {
        chunk.traceId = 'T';
        chunk.response.responseId = 'R';
        return chunk;
      });
    assert.deepEqual(normalise(split.body), normalise(whole.body));
    assert.equal(split.headers['x-cloudaicompanion-trace-id'] !== undefined, true);
  });

  test('slow chunks still deliver every frame', async () => {
    started.google.control.script({ action: { kind: 'slow-chunks', delayMs: 5 } });
    const reply = await raw('slowly');
    assert.equal(parseSseFrames(reply.body.toString('utf8')).length, 3);
  });

  test('a stream-chunks rule changes the split of one stream', async () => {
    started.google.control.script({ action: { kind: 'stream-chunks', count: 6 } });
    assert.equal(parseSseFrames((await raw('abcdefghijkl')).body.toString('utf8')).length, 6);
    assert.equal(parseSseFrames((await raw('abcdefghijkl')).body.toString('utf8')).length, 3);
  });

  test('a running-usage rule puts the usage so far on every chunk of one stream', async () => {
    started.google.control.script({ action: { kind: 'running-usage' } });
    const frames = parseSseFrames((await raw('abcdefghijkl')).body.toString('utf8'));
    const usage = frames.map((frame) => frame.response.usageMetadata);
    assert.equal(usage.length, 3);
    const prompt = usage[2].promptTokenCount;
    assert.ok(prompt > 0);
    for (const item of usage) assert.equal(item.promptTokenCount, prompt);
    const candidates = usage.map((item) => item.candidatesTokenCount as number);
    assert.deepEqual(
      [...candidates].sort((a, b) => a - b),
      candidates,
      'the output so far only grows',
    );
    assert.equal(candidates[2], usage[2].candidatesTokenCount);
    const plain = parseSseFrames((await raw('abcdefghijkl')).body.toString('utf8'));
    assert.equal(plain[0].response.usageMetadata, undefined, 'one stream only');
  });

  test('reset after K chunks: K complete frames, then ECONNRESET', async () => {
    started.google.control.script({ action: { kind: 'reset-after-chunks', chunks: 2 } });
    const reply = await raw('reset me');
    assert.equal(reply.ending, 'error');
    assert.equal(reply.errorCode, 'ECONNRESET');
    assert.equal(reply.statusLine, 'HTTP/1.1 200 OK');
    assert.equal(parseSseFrames(reply.body.toString('utf8')).length, 2);
    assert.equal(started.google.control.calls({ endpoint: 'streamGenerateContent' }).at(-1)?.outcome, 'reset');
    assert.equal(started.google.control.streamsClosedByClient(), 0);
  });

  test('reset before headers: nothing but a reset', async () => {
    started.google.control.script({ action: { kind: 'reset-before-headers' } });
    const reply = await raw('x');
    assert.equal(reply.ending, 'error');
    assert.equal(reply.statusLine, '');
  });

  test('stall: headers, then silence; the client going away is counted', async () => {
    const before = started.google.control.streamsClosedByClient();
    started.google.control.script({ action: { kind: 'stall' } });
    const reply = await raw('x', 150);
    assert.equal(reply.ending, 'timeout');
    assert.equal(reply.statusLine, 'HTTP/1.1 200 OK');
    assert.equal(reply.body.length, 0);
    await started.google.control.waitForStreamsClosedByClient(before + 1, 5000);
    assert.equal(started.google.control.streamsClosedByClient(), before + 1);
  });

  test('a client aborting a slow stream mid-way is observed', async () => {
    const before = started.google.control.streamsClosedByClient();
    started.google.control.script({ action: { kind: 'slow-chunks', delayMs: 60_000 } });
    const abort = new AbortController();
    const response = await fetch(`${started.google.urls.v1internal}:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { authorization: `Bearer ${started.accessToken}` },
      body: JSON.stringify(envelope('gemini-3-flash', 'abort me')),
      signal: abort.signal,
    });
    const reader = response.body!.getReader();
    const first = await reader.read();
    assert.match(Buffer.from(first.value!).toString('utf8'), /^data: /);
    abort.abort();
    await started.google.control.waitForStreamsClosedByClient(before + 1, 5000);
    const call = started.google.control.calls({ endpoint: 'streamGenerateContent' }).at(-1);
    assert.equal(call?.outcome, 'client-closed');
  });
});
