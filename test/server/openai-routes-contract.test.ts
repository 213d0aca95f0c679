/**
 * The HTTP contract of the Responses, legacy completions and images routes beyond the SDK happy paths: every account
 * limited answers 429 with Retry-After in the OpenAI error shape, and a Responses stream that breaks after it
 * started ends with one `response.failed` event whose items are all closed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';

async function post(harness: Harness, path: string, body: unknown): Promise<Response> {
  return fetch(`${harness.url}${path}`, {
    method: 'POST',
    headers: { ...harness.headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

test('every account limited: 429 with Retry-After and an OpenAI error on each new route', async () => {
  const harness = await startHarness({
    accounts: [{ email: 'limit-a@example.com' }, { email: 'limit-b@example.com' }],
  });
  try {
    harness.fake.control.script({
      match: { endpoint: ['streamGenerateContent', 'generateContent'] },
      times: 'always',
      action: { kind: 'error', status: 429, reason: 'QUOTA_EXHAUSTED', quotaResetDelay: '2h0m0s' },
    });
    const requests: Array<[string, unknown]> = [
      ['/v1/responses', { model: 'gemini-3-flash', input: 'hi' }],
      ['/v1/responses', { model: 'gemini-3-flash', input: 'hi', stream: true }],
      ['/v1/completions', { model: 'gemini-3-flash', prompt: 'hi' }],
      ['/v1/completions', { model: 'gemini-3-flash', prompt: 'hi', stream: true }],
      ['/v1/images/generations', { prompt: 'a fox' }],
    ];
    for (const [path, body] of requests) {
      const response = await post(harness, path, body);
      const json = (await response.json()) as { error?: { type?: string; code?: string; message?: string } };
      assert.equal(response.status, 429, `${path}: ${JSON.stringify(json)}`);
      const retryAfter = Number(response.headers.get('retry-after'));
      assert.ok(retryAfter > 2 * 3600 - 120 && retryAfter <= 2 * 3600 + 5, `${path}: Retry-After ${retryAfter}`);
      assert.equal(json.error?.type, 'rate_limit_error', path);
      assert.equal(typeof json.error?.message, 'string', path);
    }
  } finally {
    await harness.close();
  }
});

interface StreamEvent {
  event: string;
  data: { type: string; sequence_number: number; response?: { status: string; error?: { code: string } } };
}

function parseEvents(text: string): StreamEvent[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.startsWith('event: '))
    .map((frame) => {
      const [eventLine, dataLine] = frame.split('\n');
      return { event: (eventLine ?? '').slice(7), data: JSON.parse((dataLine ?? '').slice(6)) as StreamEvent['data'] };
    });
}

test('a Responses stream that breaks after it started ends with one response.failed, every item closed', async () => {
  const harness = await startHarness({ accounts: [{ email: 'broken@example.com' }] });
  try {
    harness.fake.control.setStreamChunks(6);
    harness.fake.control.script({
      match: { endpoint: 'streamGenerateContent' },
      action: { kind: 'reset-after-chunks', chunks: 3 },
    });
    const response = await post(harness, '/v1/responses', {
      model: 'gemini-3-flash',
      input: 'A long answer please, with many words in it',
      stream: true,
    });
    assert.equal(response.status, 200);
    const events = parseEvents(await response.text());
    const terminal = events.filter((event) =>
      ['response.completed', 'response.incomplete', 'response.failed'].includes(event.event),
    );
    assert.deepEqual(
      terminal.map((event) => event.event),
      ['response.failed'],
    );
    assert.equal(events.at(-1)?.event, 'response.failed');
    assert.equal(events.at(-1)?.data.response?.status, 'failed');
    assert.equal(events.at(-1)?.data.response?.error?.code, 'AGW_UPSTREAM_STREAM_BROKEN');
    const added = events.filter((event) => event.event === 'response.output_item.added').length;
    const done = events.filter((event) => event.event === 'response.output_item.done').length;
    assert.ok(added > 0);
    assert.equal(added, done, 'every item added is done');
    const rows = harness.gateway.services.requestLog.query({ limit: 5 });
    assert.equal(rows[0]?.errorCode, 'AGW_UPSTREAM_STREAM_BROKEN', 'the request log records the in-band failure');
  } finally {
    await harness.close();
  }
});
