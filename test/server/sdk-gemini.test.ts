/**
 * The official Google Gen AI SDK (@google/genai) against agw serve + the fake Google: plain and streamed answers,
 * a function-call round trip, an image input, JSON mode, usage and token counting. The SDK sends the key as
 * x-goog-api-key.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GoogleGenAI, type Tool } from '@google/genai';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';

let harness: Harness;
let client: GoogleGenAI;

before(async () => {
  harness = await startHarness({ accounts: [{ email: 'one@example.com' }] });
  client = new GoogleGenAI({ apiKey: harness.apiKey, httpOptions: { baseUrl: harness.url } });
});
after(() => harness.close());

const tinyPng = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

test('plain answer with usage', async () => {
  const response = await client.models.generateContent({ model: 'gemini-3-flash', contents: 'Hello Gemini' });
  assert.match(response.text ?? '', /Echo: Hello Gemini/);
  assert.ok((response.usageMetadata?.promptTokenCount ?? 0) > 0);
  assert.ok((response.usageMetadata?.candidatesTokenCount ?? 0) > 0);
});

test('streamed answer', async () => {
  const stream = await client.models.generateContentStream({ model: 'gemini-3-flash', contents: 'Stream for me' });
  let text = '';
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    text += chunk.text ?? '';
  }
  assert.ok(chunks >= 2, `several chunks (${chunks})`);
  assert.match(text, /Echo: Stream for me/);
});

test('function-call round trip', async () => {
  const tools: Tool[] = [
    {
      functionDeclarations: [
        {
          name: 'lookup',
          description: 'Looks a word up',
          parametersJsonSchema: { type: 'object', properties: { word: { type: 'string' } }, required: ['word'] },
        },
      ],
    },
  ];
  const first = await client.models.generateContent({
    model: 'gemini-3-flash',
    contents: [{ role: 'user', parts: [{ text: 'call lookup {"word":"gateway"}' }] }],
    config: { tools },
  });
  const call = first.functionCalls?.[0];
  assert.equal(call?.name, 'lookup');
  assert.deepEqual(call?.args, { word: 'gateway' });
  const modelTurn = first.candidates?.[0]?.content;
  assert.ok(modelTurn);
  const second = await client.models.generateContent({
    model: 'gemini-3-flash',
    contents: [
      { role: 'user', parts: [{ text: 'call lookup {"word":"gateway"}' }] },
      modelTurn,
      { role: 'user', parts: [{ functionResponse: { name: 'lookup', response: { meaning: 'a door' } } }] },
    ],
    config: { tools },
  });
  assert.match(second.text ?? '', /lookup returned: .*a door/);
});

test('image input as inlineData', async () => {
  const response = await client.models.generateContent({
    model: 'gemini-3-flash',
    contents: [
      { role: 'user', parts: [{ text: 'Describe' }, { inlineData: { mimeType: 'image/png', data: tinyPng } }] },
    ],
  });
  assert.match(response.text ?? '', /Saw 1 image\(s\) of type image\/png/);
});

test('JSON mode', async () => {
  const response = await client.models.generateContent({
    model: 'gemini-3-flash',
    contents: 'Give JSON',
    config: { responseMimeType: 'application/json' },
  });
  assert.equal(typeof JSON.parse(response.text ?? 'x'), 'object');
});

test('countTokens and the model list', async () => {
  const counted = await client.models.countTokens({ model: 'gemini-3-flash', contents: 'count these words please' });
  assert.ok((counted.totalTokens ?? 0) > 0);
  const pager = await client.models.list();
  const names: string[] = [];
  for await (const model of pager) names.push(model.name ?? '');
  assert.ok(names.includes('models/gemini-3-flash'), names.slice(0, 5).join(','));
});

test('a wrong key is rejected with a Gemini error', async () => {
  const wrong = new GoogleGenAI({ apiKey: 'wrong-key', httpOptions: { baseUrl: harness.url } });
  await assert.rejects(
    () => wrong.models.generateContent({ model: 'gemini-3-flash', contents: 'x' }),
    (error: unknown) => /401|UNAUTHENTICATED|not valid/.test(String(error)),
  );
});
