/**
 * Bad input, property-based: whatever body arrives on a generation endpoint (wrong types, huge strings, deep
 * nesting, invalid UTF-8, unknown roles, broken base64, non-JSON, empty, wrong content type), the answer comes
 * in time, is never a 5xx, is an error in the endpoint's dialect when it is 4xx, and the server stays up with
 * bounded memory. Corrupt files in the data directory are reported and left alone.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { startHarness } from '../harness/gateway-harness.ts';
import { assertDialectError, clientCall, type Protocol, send } from './helpers.ts';

interface Endpoint {
  path: string;
  protocol: Protocol;
  /** A valid body of this endpoint, for mutations that keep most of it. */
  valid: Record<string, unknown>;
}

const endpoints: Endpoint[] = [
  {
    path: '/v1/chat/completions',
    protocol: 'openai',
    valid: clientCall('openai', 'hi', false).body as Record<string, unknown>,
  },
  {
    path: '/v1/responses',
    protocol: 'openai',
    valid: { model: 'gemini-3-flash', input: [{ role: 'user', content: 'hi' }] },
  },
  { path: '/v1/completions', protocol: 'openai', valid: { model: 'gemini-3-flash', prompt: 'hi' } },
  { path: '/v1/images/generations', protocol: 'openai', valid: { prompt: 'a fox', n: 1 } },
  {
    path: '/v1/messages',
    protocol: 'anthropic',
    valid: clientCall('anthropic', 'hi', false).body as Record<string, unknown>,
  },
  {
    path: '/v1/messages/count_tokens',
    protocol: 'anthropic',
    valid: { model: 'gemini-3-flash', messages: [{ role: 'user', content: 'hi' }] },
  },
  {
    path: '/v1beta/models/gemini-3-flash:generateContent',
    protocol: 'gemini',
    valid: clientCall('gemini', 'hi', false).body as Record<string, unknown>,
  },
  {
    path: '/v1beta/models/gemini-3-flash:streamGenerateContent?alt=sse',
    protocol: 'gemini',
    valid: clientCall('gemini', 'hi', true).body as Record<string, unknown>,
  },
  {
    path: '/v1beta/models/gemini-3-flash:countTokens',
    protocol: 'gemini',
    valid: clientCall('gemini', 'hi', false).body as Record<string, unknown>,
  },
];

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** Bodies of every bad kind; each yields the raw bytes sent. */
function badBody(endpoint: Endpoint): fc.Arbitrary<Buffer> {
  const keys = Object.keys(endpoint.valid);
  const wrongTypes = fc
    .record({
      key: fc.constantFrom(...keys, 'stream', 'tools', 'system', 'generationConfig'),
      value: fc.jsonValue({ maxDepth: 3 }),
    })
    .map(({ key, value }) => json({ ...endpoint.valid, [key]: value }));
  const unknownRole = fc
    .string({ maxLength: 12 })
    .map((role) =>
      endpoint.protocol === 'gemini'
        ? json({ contents: [{ role, parts: [{ text: 'x' }] }] })
        : json({ ...endpoint.valid, messages: [{ role, content: 'x' }] }),
    );
  const brokenBase64 = fc.string({ maxLength: 40 }).map((data) => {
    const garbage = `${data}%%%==!`;
    if (endpoint.protocol === 'openai')
      return json({
        ...endpoint.valid,
        messages: [
          { role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${garbage}` } }] },
        ],
      });
    if (endpoint.protocol === 'anthropic')
      return json({
        ...endpoint.valid,
        messages: [
          {
            role: 'user',
            content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: garbage } }],
          },
        ],
      });
    return json({ contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/png', data: garbage } }] }] });
  });
  const hugeString = fc.integer({ min: 200_000, max: 1_500_000 }).map((length) => {
    const text = 'x'.repeat(length);
    return endpoint.protocol === 'gemini'
      ? json({ contents: [{ role: 'user', parts: [{ text }] }] })
      : json({ ...endpoint.valid, model: text.slice(0, 100_000), messages: [{ role: 'user', content: text }] });
  });
  const deepNesting = fc
    .record({ depth: fc.integer({ min: 1_000, max: 200_000 }), array: fc.boolean() })
    .map(({ depth, array }) =>
      Buffer.from(array ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
    );
  const deepInField = fc.integer({ min: 100, max: 5_000 }).map((depth) => {
    // Built as text: JSON.stringify of such a value would overflow the test's own stack.
    const nested = `${'{"nested":'.repeat(depth)}"leaf"${'}'.repeat(depth)}`;
    const text = JSON.stringify(endpoint.valid);
    return Buffer.from(`{"metadata":${nested},"tools":[${nested}],${text.slice(1)}`);
  });
  const invalidUtf8 = fc.uint8Array({ minLength: 1, maxLength: 16 }).map((bytes) => {
    const text = JSON.stringify(endpoint.valid);
    const cut = text.indexOf('hi');
    return Buffer.concat([
      Buffer.from(text.slice(0, cut)),
      Buffer.from([0xff, 0xc3, 0x28, ...bytes.map((byte) => byte | 0x80)]),
      Buffer.from(text.slice(cut)),
    ]);
  });
  const anyJson = fc.jsonValue({ maxDepth: 5 }).map(json);
  const notJson = fc.string({ maxLength: 200 }).map((text) => Buffer.from(`not json ${text}`));
  const truncated = fc.integer({ min: 1, max: 20 }).map((cut) => json(endpoint.valid).subarray(0, cut));
  const randomBytes = fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes));
  return fc.oneof(
    { arbitrary: wrongTypes, weight: 4 },
    { arbitrary: unknownRole, weight: 2 },
    { arbitrary: brokenBase64, weight: 2 },
    { arbitrary: hugeString, weight: 1 },
    { arbitrary: deepNesting, weight: 1 },
    { arbitrary: deepInField, weight: 1 },
    { arbitrary: invalidUtf8, weight: 2 },
    { arbitrary: anyJson, weight: 2 },
    { arbitrary: notJson, weight: 1 },
    { arbitrary: truncated, weight: 1 },
    { arbitrary: randomBytes, weight: 1 },
    { arbitrary: fc.constant(Buffer.alloc(0)), weight: 1 },
  );
}

const contentTypes = fc.constantFrom<string | undefined>(
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=agw',
  'application/octet-stream',
  undefined,
);

/** Requests per endpoint; with six endpoints about 360 requests, a few seconds. */
const runsPerEndpoint = 60;
/** RSS growth allowed across the whole bounded run (the gateway, the fake and the test share this process). */
const rssBoundBytes = 256 * 1024 * 1024;

describe('bad input', () => {
  test('every endpoint answers bad bodies with a timely non-5xx, in its dialect, and stays up with bounded memory', async () => {
    const harness = await startHarness({ accounts: [{ email: 'input@example.com' }] });
    try {
      // Warm up once per endpoint so first-use allocations do not count as growth.
      for (const endpoint of endpoints) {
        const warm = await fetch(`${harness.url}${endpoint.path}`, {
          method: 'POST',
          headers: { ...harness.headers, 'content-type': 'application/json' },
          body: JSON.stringify(endpoint.valid),
        });
        assert.equal(warm.status, 200, `${endpoint.path} accepts its valid body: ${await warm.text()}`);
      }
      globalThis.gc?.();
      const rssBefore = process.memoryUsage().rss;
      let requests = 0;
      const statuses = new Map<number, number>();
      for (const endpoint of endpoints) {
        await fc.assert(
          fc.asyncProperty(badBody(endpoint), contentTypes, async (body, contentType) => {
            requests += 1;
            const headers: Record<string, string> = { ...harness.headers };
            if (contentType !== undefined) headers['content-type'] = contentType;
            const response = await fetch(`${harness.url}${endpoint.path}`, {
              method: 'POST',
              headers,
              body: new Uint8Array(body),
              signal: AbortSignal.timeout(15_000),
            });
            const text = await response.text();
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
            const context = `${endpoint.path} ${contentType} ${body.subarray(0, 120).toString('latin1')} → ${response.status} ${text.slice(0, 300)}`;
            assert.ok(response.status < 500, context);
            if (response.status >= 400) {
              assert.ok(response.headers.get('x-agw-error-code')?.startsWith('AGW_'), context);
              assertDialectError(endpoint.protocol, JSON.parse(text));
            }
          }),
          {
            numRuns: runsPerEndpoint,
            endOnFailure: true,
            // The counterexample can be megabytes of body; the assertion message already says what failed.
            reporter: (details) => {
              if (details.failed) throw new Error(`${endpoint.path}: ${String(details.errorInstance).slice(0, 1500)}`);
            },
          },
        );
      }
      const health = await fetch(`${harness.url}/healthz`, { headers: harness.headers });
      assert.equal(health.status, 200, 'the server is still up');
      globalThis.gc?.();
      const growth = process.memoryUsage().rss - rssBefore;
      assert.ok(growth < rssBoundBytes, `RSS grew ${Math.round(growth / 1048576)} MiB over ${requests} requests`);
      assert.ok((statuses.get(400) ?? 0) > 0 && (statuses.get(415) ?? 0) > 0, JSON.stringify([...statuses]));
    } finally {
      await harness.close();
    }
  });

  test('corrupt account file and corrupt index: reported, left byte-identical, the other accounts serve', async () => {
    const first = await startHarness({ accounts: [{ email: 'good-a@example.com' }, { email: 'good-b@example.com' }] });
    await first.close({ keepData: true, keepFake: true });
    const corruptAccount = Buffer.from('{"id":"11111111-2222-4333-8444-555555555555","email":"broken@exa');
    const corruptIndex = Buffer.from('{"version":"2.0","accounts":[{"id":');
    const accountPath = join(first.dataDir, 'accounts', '11111111-2222-4333-8444-555555555555.json');
    await writeFile(accountPath, corruptAccount, { mode: 0o600 });
    await writeFile(join(first.dataDir, 'accounts.json'), corruptIndex, { mode: 0o600 });
    const second = await startHarness({ dataDir: first.dataDir, fake: first.fake });
    try {
      const messages = second.logLines.map((line) => line.message).join('\n');
      assert.match(messages, /11111111-2222-4333-8444-555555555555/, 'the corrupt account file is reported by name');
      const pool = (await (await fetch(`${second.url}/api/pool`, { headers: second.headers })).json()) as {
        accounts: Array<{ id: string; state: string }>;
      };
      const goodIds = [...first.accounts.values()].map((account) => account.id).sort();
      assert.deepEqual(pool.accounts.map((account) => account.id).sort(), goodIds);
      assert.ok(pool.accounts.every((account) => account.state === 'active'));
      for (const protocol of ['openai', 'anthropic', 'gemini'] as const) {
        const answer = await send(second.url, second.headers, clientCall(protocol, 'still serving', false));
        assert.equal(answer.status, 200, answer.text);
      }
      // A write (a proxy toggle) repairs the index under the lock; the unreadable one must survive as a backup.
      const good = second.accounts.size === 0 ? undefined : [...second.accounts.values()][0];
      assert.equal(good, undefined, 'the harness enrolled nothing on restart');
      assert.deepEqual(await readFile(accountPath), corruptAccount, 'corrupt account file byte-identical');
      const files = await readdir(second.dataDir);
      const indexNow = await readFile(join(second.dataDir, 'accounts.json'));
      const backups = files.filter((name) => name.startsWith('accounts.json.corrupt-'));
      const preserved =
        indexNow.equals(corruptIndex) ||
        (await Promise.all(backups.map((name) => readFile(join(second.dataDir, name))))).some((bytes) =>
          bytes.equals(corruptIndex),
        );
      assert.ok(preserved, `the corrupt index bytes are kept (in place or as a backup): ${files.join(', ')}`);
    } finally {
      await second.close();
      await first.fake.close();
    }
  });
});
