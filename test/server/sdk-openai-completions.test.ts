/**
 * The official OpenAI SDK's legacy Completions API against agw serve + the fake Google: non-stream and streamed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';

let harness: Harness;
let client: OpenAI;

before(async () => {
  harness = await startHarness({ accounts: [{ email: 'one@example.com' }] });
  client = new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: harness.apiKey, maxRetries: 0 });
});
after(() => harness.close());

test('a completion answers the prompt, without the thinking, with usage', async () => {
  const completion = await client.completions.create({
    model: 'gemini-3-flash',
    prompt: 'Once upon a time',
    max_tokens: 200,
    stop: ['THE END'],
  });
  assert.equal(completion.object, 'text_completion');
  assert.match(completion.id, /^cmpl-/);
  const text = completion.choices[0]?.text ?? '';
  assert.match(text, /^Echo: Once upon a time/);
  assert.doesNotMatch(text, /Thinking about/, 'thoughts are not part of the completion');
  assert.equal(completion.choices[0]?.finish_reason, 'stop');
  assert.ok((completion.usage?.prompt_tokens ?? 0) > 0);
  assert.ok((completion.usage?.completion_tokens ?? 0) > 0);
  const upstream = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1)?.body as {
    request: { contents: Array<{ parts: Array<{ text?: string }> }>; generationConfig?: Record<string, unknown> };
  };
  assert.equal(upstream.request.contents[0]?.parts[0]?.text, 'Once upon a time');
  assert.deepEqual(upstream.request.generationConfig?.['stopSequences'], ['THE END']);
});

test('echo puts the prompt before the completion', async () => {
  const completion = await client.completions.create({ model: 'gemini-3-flash', prompt: 'Repeat me', echo: true });
  assert.match(completion.choices[0]?.text ?? '', /^Repeat meEcho: Repeat me/);
});

test('a streamed completion: text chunks, a finish reason, usage, then [DONE]', async () => {
  const stream = await client.completions.create({
    model: 'gemini-3-flash',
    prompt: 'Stream a story',
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let finish: string | null | undefined;
  let usage: OpenAI.CompletionUsage | undefined;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    assert.equal(chunk.object, 'text_completion');
    text += chunk.choices[0]?.text ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.ok(chunks >= 3, `several chunks (${chunks})`);
  assert.equal(text, 'Echo: Stream a story');
  assert.equal(finish, 'stop');
  assert.ok((usage?.completion_tokens ?? 0) > 0);
});

test('unsupported features are refused in the OpenAI error shape', async () => {
  await assert.rejects(
    () => client.completions.create({ model: 'gemini-3-flash', prompt: 'x', suffix: 'y' }),
    (error: unknown) => error instanceof OpenAI.BadRequestError && /suffix/.test(error.message),
  );
  await assert.rejects(
    () => client.completions.create({ model: 'gemini-3-flash', prompt: [1, 2, 3] }),
    (error: unknown) => error instanceof OpenAI.BadRequestError && /prompt/.test(error.message),
  );
});
