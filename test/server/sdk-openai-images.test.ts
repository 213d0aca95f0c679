/**
 * The official OpenAI SDK's Images API against agw serve + the fake Google: generation and edits (multipart) on
 * the Gemini image model, with the image request type upstream.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { imageFor, tinyPng } from '../../src/fake-google/image.ts';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';

let harness: Harness;
let client: OpenAI;

before(async () => {
  harness = await startHarness({ accounts: [{ email: 'one@example.com' }] });
  client = new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: harness.apiKey, maxRetries: 0 });
});
after(() => harness.close());

interface ImageCall {
  model: string;
  requestType: string;
  request: {
    contents: Array<{ parts: Array<{ text?: string; inlineData?: { mimeType: string; data: string } }> }>;
    generationConfig?: { imageConfig?: { aspectRatio?: string } };
  };
}

function imageCalls(): ImageCall[] {
  return harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).map((call) => call.body as ImageCall);
}

test('images.generate: n images as base64 from the Gemini image model, size as aspect ratio', async () => {
  const before = imageCalls().length;
  const result = await client.images.generate({ prompt: 'A red fox', n: 2, size: '1792x1024' });
  assert.equal(result.data?.length, 2);
  // The fake draws its image in the requested aspect ratio, as Google does.
  for (const image of result.data ?? []) assert.equal(image.b64_json, imageFor('16:9'));
  assert.ok((result.usage?.input_tokens ?? 0) > 0);
  const calls = imageCalls().slice(before);
  assert.equal(calls.length, 2, 'one upstream generation per image');
  for (const call of calls) {
    assert.equal(call.model, 'gemini-3.1-flash-image');
    assert.equal(call.requestType, 'image_gen');
    assert.equal(call.request.generationConfig?.imageConfig?.aspectRatio, '16:9');
    assert.equal(call.request.contents[0]?.parts.at(-1)?.text, 'A red fox');
  }
});

test('response_format url answers with data URLs; OpenAI image model names use the Gemini image model', async () => {
  const result = await client.images.generate({
    model: 'dall-e-3',
    prompt: 'A blue whale',
    response_format: 'url',
    size: '1024x1024',
  });
  assert.equal(result.data?.[0]?.url, `data:image/png;base64,${imageFor('1:1')}`);
  assert.equal(imageCalls().at(-1)?.model, 'gemini-3.1-flash-image');
  assert.equal(imageCalls().at(-1)?.request.generationConfig?.imageConfig?.aspectRatio, '1:1');
});

test('images.edit: the uploaded images go upstream before the prompt', async () => {
  const png = Buffer.from(tinyPng, 'base64');
  const result = await client.images.edit({
    image: [await toFile(png, 'one.png', { type: 'image/png' }), await toFile(png, 'two.png')],
    prompt: 'Make it blue',
    size: '1024x1536',
  });
  assert.equal(result.data?.[0]?.b64_json, imageFor('2:3'));
  const call = imageCalls().at(-1);
  assert.equal(call?.requestType, 'image_gen');
  const parts = call?.request.contents[0]?.parts ?? [];
  assert.deepEqual(
    parts.map((part) => part.inlineData?.mimeType ?? part.text),
    ['image/png', 'image/png', 'Make it blue'],
  );
  assert.equal(parts[0]?.inlineData?.data, tinyPng);
  assert.equal(call?.request.generationConfig?.imageConfig?.aspectRatio, '2:3');
});

test('bad image requests get OpenAI errors', async () => {
  await assert.rejects(
    () => client.images.generate({ prompt: 'x', model: 'gemini-3-flash' }),
    (error: unknown) => error instanceof OpenAI.BadRequestError && /not an image model/.test(error.message),
  );
  await assert.rejects(
    () => client.images.generate({ prompt: 'x', size: 'huge' as '1024x1024' }),
    (error: unknown) => error instanceof OpenAI.BadRequestError && /size/.test(error.message),
  );
  await assert.rejects(
    () => client.images.edit({ image: [], prompt: 'x' }),
    (error: unknown) => error instanceof OpenAI.BadRequestError && /at least one input image/.test(error.message),
  );
});
