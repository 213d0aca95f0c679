/**
 * The official OpenAI SDK against agw serve + the fake Google: plain and streamed answers, a tool-call round trip,
 * an image input, JSON mode and usage.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';

let harness: Harness;
let client: OpenAI;

before(async () => {
  harness = await startHarness({ accounts: [{ email: 'one@example.com' }, { email: 'two@example.com' }] });
  client = new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: harness.apiKey, maxRetries: 0 });
});
after(() => harness.close());

const tinyPng = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

test('plain answer with usage', async () => {
  const completion = await client.chat.completions.create({
    model: 'gemini-3-flash',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello there' },
    ],
  });
  assert.equal(completion.object, 'chat.completion');
  assert.match(completion.choices[0]?.message.content ?? '', /Echo: Hello there/);
  assert.equal(completion.choices[0]?.finish_reason, 'stop');
  assert.ok((completion.usage?.prompt_tokens ?? 0) > 0);
  assert.ok((completion.usage?.completion_tokens ?? 0) > 0);
  assert.equal(
    completion.usage?.total_tokens,
    (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
  );
});

test('streamed answer: deltas add up to the text, usage in the last chunk', async () => {
  const stream = await client.chat.completions.create({
    model: 'gemini-3-flash',
    messages: [{ role: 'user', content: 'Stream this please' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let finish: string | null | undefined;
  let usage: OpenAI.CompletionUsage | undefined | null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.ok(chunks >= 3, `several chunks (${chunks})`);
  assert.match(text, /Echo: Stream this please/);
  assert.equal(finish, 'stop');
  assert.ok((usage?.completion_tokens ?? 0) > 0, 'usage arrives with include_usage');
});

test('tool-call round trip', async () => {
  const tools: OpenAI.ChatCompletionTool[] = [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    },
  ];
  const first = await client.chat.completions.create({
    model: 'gemini-3-flash',
    messages: [{ role: 'user', content: 'Please call get_weather {"city":"Paris"}' }],
    tools,
  });
  const call = first.choices[0]?.message.tool_calls?.[0];
  assert.equal(first.choices[0]?.finish_reason, 'tool_calls');
  assert.ok(call && call.type === 'function');
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });

  const second = await client.chat.completions.create({
    model: 'gemini-3-flash',
    messages: [
      { role: 'user', content: 'Please call get_weather {"city":"Paris"}' },
      first.choices[0]!.message,
      { role: 'tool', tool_call_id: call.id, content: '{"temperature":21}' },
    ],
    tools,
  });
  assert.match(second.choices[0]?.message.content ?? '', /get_weather returned: .*21/);
  const upstream = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1)?.body as {
    request: { contents: Array<{ parts: Array<Record<string, unknown>> }> };
  };
  const parts = upstream.request.contents.flatMap((content) => content.parts);
  assert.ok(
    parts.some((part) => 'functionResponse' in part),
    'the tool result reached Google as a functionResponse',
  );
});

test('image input as a data URL reaches Google as inlineData', async () => {
  const completion = await client.chat.completions.create({
    model: 'gemini-3-flash',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this picture?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${tinyPng}` } },
        ],
      },
    ],
  });
  assert.match(completion.choices[0]?.message.content ?? '', /Saw 1 image\(s\) of type image\/png/);
});

test('JSON mode answers parse as JSON', async () => {
  const completion = await client.chat.completions.create({
    model: 'gemini-3-flash',
    messages: [{ role: 'user', content: 'Give me JSON' }],
    response_format: { type: 'json_object' },
  });
  const parsed = JSON.parse(completion.choices[0]?.message.content ?? 'not json') as unknown;
  assert.equal(typeof parsed, 'object');
});

test('the model list is served', async () => {
  const models = await client.models.list();
  const ids = models.data.map((model) => model.id);
  assert.ok(ids.includes('gemini-3-flash'));
  assert.ok(ids.some((id) => id.startsWith('claude-')));
});

test('errors reach the SDK as typed errors: 401 and 400', async () => {
  const wrongKey = new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
  await assert.rejects(
    () => wrongKey.chat.completions.create({ model: 'gemini-3-flash', messages: [{ role: 'user', content: 'x' }] }),
    (error: unknown) => error instanceof OpenAI.AuthenticationError && /not valid/.test(error.message),
  );
  await assert.rejects(
    () =>
      client.chat.completions.create({
        model: 'gemini-3-flash',
        messages: [{ role: 'wizard' as 'user', content: 'x' }],
      }),
    (error: unknown) => error instanceof OpenAI.BadRequestError,
  );
});
