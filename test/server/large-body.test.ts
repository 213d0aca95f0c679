/**
 * A body near the limit is served (its image reaches Google byte for byte), one above it is refused in the
 * caller's dialect, and the gateway keeps answering other requests while it works on the large one.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { defaults } from '../../src/config/defaults.ts';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';

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
