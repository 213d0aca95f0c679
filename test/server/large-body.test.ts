/**
 * A body near the limit is served (its image reaches Google byte for byte), one above it is refused in the
 * caller's dialect, and the gateway keeps answering other requests while it works on the large one. Images are
 * kept as the received bytes (src/upstream/lifted-bytes.ts) in every dialect, also in a chunked upload, and
 * become strings again where agw keeps or returns them past the request (stored responses, compaction, token
 * estimates); each request's bytes are let go when it ends.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { defaults } from '../../src/config/defaults.ts';
import { openLiftedScopes } from '../../src/upstream/lifted-bytes.ts';
import { eventually, type Harness, startHarness } from '../harness/gateway-harness.ts';

let harness: Harness;
before(async () => {
  harness = await startHarness({ accounts: [{ email: 'large@example.com' }] });
});
after(() => harness.close());

function chatWithImage(imageBytes: number): { body: string; image: string } {
  const image = Buffer.alloc(Math.floor((imageBytes * 3) / 4), 7).toString('base64');
  const body = JSON.stringify({
    model: 'gemini-3-flash',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is in this image?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${image}` } },
        ],
      },
    ],
  });
  return { body, image };
}

test('the default limit is 32 MiB: a body just under it is served intact, meanwhile health answers', async () => {
  assert.equal(defaults.server.bodyLimitBytes, 32 * 1024 * 1024);
  const { body, image } = chatWithImage(defaults.server.bodyLimitBytes - 4096);
  assert.ok(body.length < defaults.server.bodyLimitBytes);
  let finished = false;
  const large = fetch(`${harness.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...harness.headers, 'content-type': 'application/json' },
    body,
  }).finally(() => {
    finished = true;
  });
  let answeredMeanwhile = 0;
  while (!finished) {
    const health = await fetch(`${harness.url}/healthz`, { headers: harness.headers });
    if (health.status === 200 && !finished) answeredMeanwhile += 1;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const response = await large;
  assert.equal(response.status, 200, await response.clone().text());
  assert.ok(answeredMeanwhile > 0, 'health answered while the large request was in flight');
  const call = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1);
  assert.ok(call, 'the request reached Google');
  const parts = (call.body as { request: { contents: Array<{ parts: Array<Record<string, unknown>> }> } }).request
    .contents[0]?.parts;
  const inline = parts?.find((part) => part['inlineData'] !== undefined)?.['inlineData'] as { data: string };
  assert.equal(inline.data.length, image.length);
  assert.ok(inline.data === image, 'the image reached Google byte for byte');
  await scopesReleased('the request let its image bytes go');
});

/** Waits until no request holds lifted bytes (a response's close event may follow its last byte by a turn). */
async function scopesReleased(what: string): Promise<void> {
  await eventually(() => (openLiftedScopes() === 0 ? true : undefined), 3000, what);
}

/** A base64 image just large enough to be kept as bytes, distinct per call. */
function imageOf(seed: number): string {
  const bytes = Buffer.alloc(300 * 1024);
  for (let index = 0; index < bytes.length; index += 1) bytes[index] = (index * 31 + seed) % 256;
  return bytes.toString('base64');
}

type UpstreamParts = Array<Record<string, unknown>>;

function lastUpstreamParts(): UpstreamParts {
  const call = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1) ?? {
    body: { request: { contents: [] } },
  };
  const contents = (call.body as { request: { contents: Array<{ parts: UpstreamParts }> } }).request.contents;
  return contents.flatMap((content) => content.parts);
}

function inlineImages(parts: UpstreamParts): string[] {
  return parts.flatMap((part) => {
    const inline = part['inlineData'] as { data?: string } | undefined;
    return inline?.data === undefined ? [] : [inline.data];
  });
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const response = await fetch(`${harness.url}${path}`, {
    method: 'POST',
    headers: { ...harness.headers, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return response;
}

test('Anthropic and Gemini images, and two images in one body, reach Google byte for byte', async () => {
  const [first, second] = [imageOf(1), imageOf(2)];
  await post('/v1/messages', {
    model: 'claude-sonnet-4-6',
    max_tokens: 100,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: first } },
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: second } },
          { type: 'text', text: 'compare "these" two' },
        ],
      },
    ],
  });
  assert.deepEqual(inlineImages(lastUpstreamParts()), [first, second]);
  await post('/v1beta/models/gemini-3-flash:streamGenerateContent?alt=sse', {
    contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/png', data: second } }, { text: 'what?' }] }],
  });
  assert.deepEqual(inlineImages(lastUpstreamParts()), [second]);
  await scopesReleased('both requests let their image bytes go');
});

test('a chunked upload (no Content-Length) split inside the image is served intact', async () => {
  const image = imageOf(3);
  const text = JSON.stringify({
    model: 'gemini-3-flash',
    messages: [
      { role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${image}` } }] },
    ],
  });
  const bytes = Buffer.from(text);
  const pieces = [bytes.subarray(0, 100), bytes.subarray(100, 150_000), bytes.subarray(150_000)];
  const response = await fetch(`${harness.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...harness.headers, 'content-type': 'application/json' },
    body: new ReadableStream({
      start(controller) {
        for (const piece of pieces) controller.enqueue(piece);
        controller.close();
      },
    }),
    duplex: 'half',
  } as RequestInit);
  assert.equal(response.status, 200, await response.clone().text());
  assert.deepEqual(inlineImages(lastUpstreamParts()), [image]);
});

test('a stored response keeps its image: the next turn through previous_response_id sends it again', async () => {
  const image = imageOf(4);
  const first = (await (
    await post('/v1/responses', {
      model: 'gemini-3-flash',
      input: [
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_image', image_url: `data:image/png;base64,${image}` },
            { type: 'input_text', text: 'what is this?' },
          ],
        },
      ],
    })
  ).json()) as { id: string };
  await scopesReleased('the first request let its bytes go');
  await post('/v1/responses', { model: 'gemini-3-flash', previous_response_id: first.id, input: 'and now?' });
  assert.deepEqual(inlineImages(lastUpstreamParts()), [image]);
});

test('compaction returns the user messages with their images as sent', async () => {
  const image = `data:image/png;base64,${imageOf(5)}`;
  const kept = { type: 'message', role: 'user', content: [{ type: 'input_image', image_url: image }] };
  const response = await post('/v1/responses/compact', { model: 'gemini-3-flash', input: [kept] });
  const body = (await response.json()) as { output: Array<{ content?: Array<{ image_url?: string }> }> };
  assert.equal(body.output[0]?.content?.[0]?.image_url, image);
});

test('count_tokens estimates a base64 document by its real size', async () => {
  const document = 'J'.repeat(75_000 * 4);
  const response = await post('/v1/messages/count_tokens', {
    model: 'claude-sonnet-4-6',
    messages: [
      {
        role: 'user',
        content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: document } }],
      },
    ],
  });
  const { input_tokens: tokens } = (await response.json()) as { input_tokens: number };
  assert.ok(tokens >= 4 * 1_500, `four pages counted, got ${tokens}`);
});

test('a body over the limit is refused with 413 in the dialect of the route', async () => {
  const { body } = chatWithImage(defaults.server.bodyLimitBytes + 1024);
  const openai = await fetch(`${harness.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...harness.headers, 'content-type': 'application/json' },
    body,
  });
  assert.equal(openai.status, 413);
  assert.equal(((await openai.json()) as { error: { code: string } }).error.code, 'AGW_BODY_TOO_LARGE');
  const anthropic = await fetch(`${harness.url}/v1/messages`, {
    method: 'POST',
    headers: { ...harness.headers, 'content-type': 'application/json' },
    body,
  });
  assert.equal(anthropic.status, 413);
  assert.equal(((await anthropic.json()) as { type: string }).type, 'error');
});
