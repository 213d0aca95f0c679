import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  answerText,
  envelope,
  imageEnvelope,
  parseSseFrames,
  postJson,
  type Started,
  startWithAccount,
} from './helpers.ts';

const weatherTool = {
  functionDeclarations: [
    {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: {
        type: 'OBJECT',
        properties: {
          city: { type: 'STRING' },
          days: { type: 'INTEGER' },
          metric: { type: 'BOOLEAN' },
          unit: { type: 'STRING', enum: ['celsius', 'fahrenheit'] },
          tags: { type: 'ARRAY', items: { type: 'STRING' } },
        },
      },
    },
  ],
};

describe('generateContent and streamGenerateContent answers', () => {
  let started: Started;
  const generate = (body: unknown) =>
    postJson(`${started.google.urls.v1internal}:generateContent`, body, started.accessToken);
  const stream = (body: unknown) =>
    postJson(`${started.google.urls.v1internal}:streamGenerateContent?alt=sse`, body, started.accessToken);
  before(async () => {
    started = await startWithAccount();
  });
  after(() => started.google.close());

  test('non-stream: `Echo: <last user text>` in the wrapped response with usage', async () => {
    const reply = await generate(envelope('gemini-3-flash', 'Hello there'));
    assert.equal(reply.status, 200);
    assert.ok(reply.headers.get('x-cloudaicompanion-trace-id'));
    const response = reply.body.response;
    assert.deepEqual(response.candidates[0].content, { role: 'model', parts: [{ text: 'Echo: Hello there' }] });
    assert.equal(response.candidates[0].finishReason, 'STOP');
    assert.equal(response.candidates[0].index, 0);
    assert.equal(response.modelVersion, 'gemini-3-flash');
    assert.equal(typeof response.responseId, 'string');
    assert.equal(typeof reply.body.traceId, 'string');
    const usage = response.usageMetadata;
    assert.equal(usage.promptTokenCount, Math.ceil('Hello there'.length / 4));
    assert.equal(usage.candidatesTokenCount, Math.ceil('Echo: Hello there'.length / 4));
    assert.equal(usage.totalTokenCount, usage.promptTokenCount + usage.candidatesTokenCount);
  });

  test('the answer uses the last user turn only', async () => {
    const body = envelope('gemini-3-flash', 'first');
    const request = body['request'] as { contents: unknown[] };
    request.contents.push(
      { role: 'model', parts: [{ text: 'Echo: first' }] },
      { role: 'user', parts: [{ text: 'second' }] },
    );
    assert.equal(answerText([(await generate(body)).body]), 'Echo: second');
  });

  test('stream: CRLF SSE frames, text split in 3 chunks, finish and usage in the last', async () => {
    const reply = await stream(envelope('gemini-3-flash', 'abcdefghi'));
    assert.equal(reply.status, 200);
    assert.match(reply.headers.get('content-type')!, /^text\/event-stream/);
    assert.ok(reply.headers.get('x-cloudaicompanion-trace-id'));
    const chunks = parseSseFrames(reply.text);
    assert.equal(chunks.length, 3);
    assert.equal(answerText(chunks), 'Echo: abcdefghi');
    assert.deepEqual(
      chunks.map((chunk) => chunk.response.candidates[0].finishReason),
      [undefined, undefined, 'STOP'],
    );
    assert.equal(chunks[0].response.usageMetadata, undefined);
    assert.equal(chunks[2].response.usageMetadata.candidatesTokenCount, Math.ceil('Echo: abcdefghi'.length / 4));
    assert.equal(new Set(chunks.map((chunk) => chunk.response.responseId)).size, 1);
  });

  test('chunk count and line ending are configurable', async () => {
    started.google.control.setStreamChunks(5);
    started.google.control.setLineEnding('\n');
    try {
      const reply = await stream(envelope('gemini-3-flash', 'abcdefghij'));
      assert.equal(reply.text.includes('\r'), false);
      const chunks = parseSseFrames(reply.text, '\n');
      assert.equal(chunks.length, 5);
      assert.equal(answerText(chunks), 'Echo: abcdefghij');
    } finally {
      started.google.control.setStreamChunks(3);
      started.google.control.setLineEnding('\r\n');
    }
  });

  test('without alt=sse the stream is one JSON array of chunks', async () => {
    const reply = await postJson(
      `${started.google.urls.v1internal}:streamGenerateContent`,
      envelope('gemini-3-flash', 'abc'),
      started.accessToken,
    );
    assert.ok(Array.isArray(reply.body));
    assert.equal(answerText(reply.body), 'Echo: abc');
  });

  test('thinking models emit thought text, then a signature part, then the answer', async () => {
    for (const model of ['claude-opus-4-6-thinking', 'gemini-pro-agent']) {
      const parts = (await generate(envelope(model, 'why?'))).body.response.candidates[0].content.parts;
      assert.equal(parts.length, 3, model);
      assert.deepEqual(parts[0], { text: 'Thinking about: why?', thought: true });
      assert.equal(parts[1].thought, true);
      assert.equal(parts[1].text, '');
      assert.match(parts[1].thoughtSignature, /^[A-Za-z0-9+/=]{60,}$/);
      assert.deepEqual(parts[2], { text: 'Echo: why?' });
    }
    const plain = (await generate(envelope('claude-sonnet-4-6', 'hi'))).body.response;
    assert.equal(plain.candidates[0].content.parts.length, 1);
    assert.equal(plain.usageMetadata.thoughtsTokenCount, undefined);
    const asked = (
      await generate(
        envelope('claude-sonnet-4-6', 'hi', { generationConfig: { thinkingConfig: { includeThoughts: true } } }),
      )
    ).body.response;
    assert.equal(asked.candidates[0].content.parts[0].thought, true);
    assert.equal(asked.usageMetadata.thoughtsTokenCount, Math.ceil('Thinking about: hi'.length / 4));
  });

  test('streamed thinking: thought and signature each come in their own chunk before the text', async () => {
    const chunks = parseSseFrames((await stream(envelope('claude-opus-4-6-thinking', 'abc'))).text);
    assert.equal(chunks.length, 5);
    assert.equal(chunks[0].response.candidates[0].content.parts[0].thought, true);
    assert.ok(chunks[1].response.candidates[0].content.parts[0].thoughtSignature);
    assert.equal(answerText(chunks), 'Echo: abc');
  });

  test('`call <tool>` answers a functionCall with args synthesised from the schema', async () => {
    const reply = await generate(envelope('gemini-3-flash', 'Please call get_weather now', { tools: [weatherTool] }));
    const parts = reply.body.response.candidates[0].content.parts;
    assert.equal(parts.length, 1);
    const call = parts[0].functionCall;
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(call.args, { city: 'example', days: 1, metric: true, unit: 'celsius', tags: ['example'] });
    assert.match(call.id, /^call_[0-9a-f]{16}$/);
    assert.equal(reply.body.response.candidates[0].finishReason, 'STOP');
    assert.equal(parts[0].thoughtSignature, undefined);
  });

  test('`use tool <tool> {json}` uses the explicit args; thinking models sign the call', async () => {
    const reply = await generate(
      envelope('gemini-pro-agent', 'use tool get_weather {"city":"Paris","days":3} thanks {', { tools: [weatherTool] }),
    );
    const parts = reply.body.response.candidates[0].content.parts;
    const callPart = parts.find((part: { functionCall?: unknown }) => part.functionCall !== undefined);
    assert.deepEqual(callPart.functionCall.args, { city: 'Paris', days: 3 });
    assert.match(callPart.thoughtSignature, /^[A-Za-z0-9+/=]{60,}$/);
    const undeclared = await generate(envelope('gemini-3-flash', 'call unknown_tool', { tools: [weatherTool] }));
    assert.equal(answerText([undeclared.body]), 'Echo: call unknown_tool');
  });

  test('a functionResponse turn is answered with its result', async () => {
    const body = {
      ...envelope('gemini-3-flash', 'x'),
      request: {
        contents: [
          { role: 'user', parts: [{ text: 'call get_weather' }] },
          {
            role: 'model',
            parts: [
              { functionCall: { name: 'get_weather', args: {} }, thoughtSignature: 'skip_thought_signature_validator' },
            ],
          },
          { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temperature: 21 } } }] },
        ],
        tools: [weatherTool],
      },
    };
    const reply = await generate(body);
    assert.equal(reply.status, 200, reply.text);
    assert.equal(answerText([reply.body]), 'Tool get_weather returned: {"temperature":21}');
  });

  test('images in the prompt are acknowledged; image models return an inlineData PNG', async () => {
    const body = envelope('gemini-3-flash', 'what is this');
    (body['request'] as { contents: Array<{ parts: unknown[] }> }).contents[0]!.parts.push(
      { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
      { inlineData: { mimeType: 'image/jpeg', data: '/9j/4AAQ' } },
    );
    const reply = await generate(body);
    assert.equal(answerText([reply.body]), 'Saw 2 image(s) of type image/png, image/jpeg. Echo: what is this');
    assert.equal(reply.body.response.usageMetadata.promptTokenCount, Math.ceil('what is this'.length / 4) + 2 * 258);
    const image = await generate(imageEnvelope('gemini-3.1-flash-image', 'a cat'));
    const parts = image.body.response.candidates[0].content.parts;
    assert.equal(parts.at(-1).inlineData.mimeType, 'image/png');
  });

  test('responseMimeType application/json answers valid JSON (schema-shaped when a schema is given)', async () => {
    const plain = await stream(
      envelope('gemini-3-flash', 'data please', { generationConfig: { responseMimeType: 'application/json' } }),
    );
    assert.deepEqual(JSON.parse(answerText(parseSseFrames(plain.text))), { echo: 'data please' });
    const schema = { type: 'object', properties: { name: { type: 'string' }, count: { type: 'number' } } };
    const shaped = await generate(
      envelope('gemini-3-flash', 'x', {
        generationConfig: { responseMimeType: 'application/json', responseSchema: schema },
      }),
    );
    assert.deepEqual(JSON.parse(answerText([shaped.body])), { name: 'example', count: 1 });
  });

  test('countTokens counts like promptTokenCount', async () => {
    const request = { contents: [{ role: 'user', parts: [{ text: 'twelve chars' }] }] };
    const reply = await postJson(`${started.google.urls.v1internal}:countTokens`, { request }, started.accessToken);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body, { totalTokens: 3 });
    const bad = await postJson(`${started.google.urls.v1internal}:countTokens`, { contents: [] }, started.accessToken);
    assert.equal(bad.status, 400);
  });

  test('malformed envelopes are 400 INVALID_ARGUMENT; unknown models 404 NOT_FOUND', async () => {
    const cases: unknown[] = [
      { request: { contents: [{ role: 'user', parts: [{ text: 'x' }] }] } },
      { model: 'gemini-3-flash' },
      { model: 'gemini-3-flash', request: {} },
      { model: 'gemini-3-flash', request: { contents: 'text' } },
      { model: 42, request: { contents: [{ parts: [{ text: 'x' }] }] } },
      { model: 'gemini-3-flash', request: { contents: [{ role: 'user', parts: [{ text: 5 }] }] } },
      { model: 'gemini-3-flash', request: { contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] } },
      '{not json',
    ];
    for (const body of cases) {
      const reply = await generate(body);
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.equal(reply.body.error.code, 400);
      assert.equal(reply.body.error.status, 'INVALID_ARGUMENT');
    }
    const unknown = await stream(envelope('gemini-9-ultra', 'x'));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.status, 'NOT_FOUND');
  });

  test('an exhausted model quota answers 429 QUOTA_EXHAUSTED with the reset time', async () => {
    const resetTime = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    started.google.control.setQuota(started.email, 'gemini-3.1-pro-low', 0, resetTime);
    const reply = await generate(envelope('gemini-3.1-pro-low', 'x'));
    assert.equal(reply.status, 429);
    assert.equal(reply.body.error.status, 'RESOURCE_EXHAUSTED');
    const info = reply.body.error.details.find((detail: { reason?: string }) => detail.reason !== undefined);
    assert.equal(info.reason, 'QUOTA_EXHAUSTED');
    assert.equal(info.metadata.quotaResetTimeStamp, resetTime);
    assert.equal(info.metadata.model, 'gemini-3.1-pro-low');
    started.google.control.setQuota(started.email, 'gemini-3.1-pro-low', 1, resetTime);
    assert.equal((await generate(envelope('gemini-3.1-pro-low', 'x'))).status, 200);
  });
});

describe('thought signature validation', () => {
  let started: Started;
  const generate = (body: unknown) =>
    postJson(`${started.google.urls.v1internal}:generateContent`, body, started.accessToken);
  before(async () => {
    started = await startWithAccount();
  });
  after(() => started.google.close());

  function history(model: string, modelParts: unknown[]): Record<string, unknown> {
    return {
      ...envelope(model, 'x'),
      request: {
        contents: [
          { role: 'user', parts: [{ text: 'first' }] },
          { role: 'model', parts: modelParts },
          { role: 'user', parts: [{ text: 'again' }] },
        ],
        tools: [weatherTool],
      },
    };
  }

  test('claude: a signature the fake issued passes, an invented one is rejected', async () => {
    const first = await generate(envelope('claude-opus-4-6-thinking', 'first'));
    const issuedParts = first.body.response.candidates[0].content.parts;
    assert.equal((await generate(history('claude-opus-4-6-thinking', issuedParts))).status, 200);
    const forged = [{ text: 'hmm', thought: true, thoughtSignature: 'A'.repeat(64) }, { text: 'Echo: first' }];
    const rejected = await generate(history('claude-opus-4-6-thinking', forged));
    assert.equal(rejected.status, 400);
    assert.equal(rejected.body.error.status, 'INVALID_ARGUMENT');
    assert.match(rejected.body.error.message, /Invalid `signature` in `thinking` block/);
  });

  test('gemini: a historical functionCall needs a signature (or the skip sentinel)', async () => {
    const missing = await generate(history('gemini-3-flash', [{ functionCall: { name: 'get_weather', args: {} } }]));
    assert.equal(missing.status, 400);
    assert.match(missing.body.error.message, /Function call is missing a thought_signature/);
    const skipped = await generate(
      history('gemini-3-flash', [
        { functionCall: { name: 'get_weather', args: {} }, thoughtSignature: 'skip_thought_signature_validator' },
      ]),
    );
    assert.equal(skipped.status, 200);
    const issued = await generate(envelope('gemini-pro-agent', 'call get_weather', { tools: [weatherTool] }));
    const parts = issued.body.response.candidates[0].content.parts;
    assert.equal((await generate(history('gemini-pro-agent', parts))).status, 200);
    // Parallel calls: only the first carries the signature.
    const parallel = [
      { functionCall: { name: 'get_weather', args: {} }, thoughtSignature: 'skip_thought_signature_validator' },
      { functionCall: { name: 'get_weather', args: { city: 'x' } } },
    ];
    assert.equal((await generate(history('gemini-3-flash', parallel))).status, 200);
    // Claude does not check function-call signatures.
    assert.equal(
      (await generate(history('claude-sonnet-4-6', [{ functionCall: { name: 'get_weather', args: {} } }]))).status,
      200,
    );
  });

  test('validation can be switched off per family', async () => {
    started.google.control.setSignatureValidation({ claude: false, gemini: false });
    try {
      assert.equal(
        (await generate(history('gemini-3-flash', [{ functionCall: { name: 'get_weather', args: {} } }]))).status,
        200,
      );
      const forged = [{ text: 'hmm', thought: true, thoughtSignature: 'forged' }];
      assert.equal((await generate(history('claude-opus-4-6-thinking', forged))).status, 200);
    } finally {
      started.google.control.setSignatureValidation({ claude: true, gemini: true });
    }
  });
});
