import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors/catalogue.ts';
import { toCanonicalRequest } from '../../../src/protocols/openai/chat-request.ts';
import { parseChatRequest } from '../../../src/protocols/openai/chat-schema.ts';

const customMapping = {};

function translate(body: Record<string, unknown>, allowRemoteImages = false) {
  return toCanonicalRequest(parseChatRequest({ model: 'gpt-4o', ...body }), { customMapping, allowRemoteImages });
}

function expectError(run: () => unknown, code: string, messagePattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(GatewayError.is(error));
    assert.equal(error.code, code);
    assert.match(error.message, messagePattern);
    return true;
  });
}

const hello = [{ role: 'user', content: 'Hello there, how are you?' }];

describe('parseChatRequest', () => {
  test('wrong types name the field', () => {
    expectError(() => parseChatRequest({ model: 'x', messages: 'hi' }), 'AGW_INVALID_REQUEST', /messages/);
    expectError(
      () => parseChatRequest({ model: 'x', messages: [{ role: 'user', content: 5 }] }),
      'AGW_INVALID_REQUEST',
      /messages\.0\.content/,
    );
    expectError(
      () => parseChatRequest({ model: 'x', messages: hello, temperature: 'hot' }),
      'AGW_INVALID_REQUEST',
      /temperature/,
    );
    expectError(() => parseChatRequest({ messages: hello }), 'AGW_INVALID_REQUEST', /model/);
    expectError(() => parseChatRequest(null), 'AGW_INVALID_REQUEST', /\(body\)/);
  });

  test('unknown fields are kept, not rejected', () => {
    assert.equal(
      (parseChatRequest({ model: 'x', messages: hello, logprobs: true }) as Record<string, unknown>)['logprobs'],
      true,
    );
  });
});

describe('toCanonicalRequest: roles and content', () => {
  test('system and developer → systemInstruction; assistant → model; consecutive roles merged', () => {
    const canonical = translate({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use English.' }] },
        { role: 'user', content: 'Hello there, how are you?' },
        { role: 'user', content: [{ type: 'text', text: 'Second' }] },
        { role: 'assistant', content: 'Fine.', reasoning_content: 'private' },
      ],
    });
    assert.equal(canonical.protocol, 'openai');
    assert.equal(canonical.upstreamModel, 'gemini-3-flash');
    assert.deepEqual(canonical.request.systemInstruction, {
      role: 'user',
      parts: [{ text: 'Be brief.\n\nUse English.' }],
    });
    assert.deepEqual(canonical.request.contents, [
      { role: 'user', parts: [{ text: 'Hello there, how are you?' }, { text: 'Second' }] },
      { role: 'model', parts: [{ text: 'Fine.' }] },
    ]);
    assert.match(canonical.sessionKey, /^sid-[0-9a-f]{16}$/);
    assert.equal(canonical.messageCount, 5);
    assert.equal(canonical.request.safetySettings?.length, 4);
  });

  test('data URL images become inlineData', () => {
    const canonical = translate({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
    });
    assert.deepEqual(canonical.request.contents[0]?.parts[1], {
      inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' },
    });
  });

  test('http(s) images: fileData when allowed, AGW_FORBIDDEN_URL when not; local paths are refused', () => {
    const body = (url: string) => ({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: url }] }] });
    assert.deepEqual(translate(body('https://example.com/cat.png'), true).request.contents[0]?.parts[0], {
      fileData: { fileUri: 'https://example.com/cat.png', mimeType: 'image/png' },
    });
    expectError(() => translate(body('https://example.com/cat.png')), 'AGW_FORBIDDEN_URL', /messages\.0\.content\.0/);
    expectError(() => translate(body('/etc/passwd'), true), 'AGW_INVALID_REQUEST', /data: URL/);
    expectError(() => translate(body('file:///etc/passwd'), true), 'AGW_INVALID_REQUEST', /data: URL/);
  });

  test('tool calls and tool results: names looked up by id, arguments type-fixed, parallel calls kept', () => {
    const canonical = translate({
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } },
          },
        },
      ],
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris","days":"3"}' },
            },
            { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'Sunny' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'Rain' }] },
      ],
    });
    assert.deepEqual(canonical.request.contents[1], {
      role: 'model',
      parts: [
        {
          functionCall: { name: 'get_weather', args: { city: 'Paris', days: 3 }, id: 'call_1' },
          thoughtSignature: 'skip_thought_signature_validator',
        },
        {
          functionCall: { name: 'get_weather', args: { city: 'Rome' }, id: 'call_2' },
          thoughtSignature: 'skip_thought_signature_validator',
        },
      ],
    });
    assert.deepEqual(canonical.request.contents[2], {
      role: 'user',
      parts: [
        { functionResponse: { name: 'get_weather', response: { result: 'Sunny' }, id: 'call_1' } },
        { functionResponse: { name: 'get_weather', response: { result: 'Rain' }, id: 'call_2' } },
      ],
    });
    assert.deepEqual(canonical.toolNames, ['get_weather']);
  });

  test('a tool result for an unknown call id is an error naming the field', () => {
    expectError(
      () => translate({ messages: [...hello, { role: 'tool', tool_call_id: 'nope', content: 'x' }] }),
      'AGW_INVALID_REQUEST',
      /messages\.1\.tool_call_id/,
    );
  });

  test('invalid tool-call arguments are an error, not silently {}', () => {
    expectError(
      () =>
        translate({
          messages: [
            ...hello,
            {
              role: 'assistant',
              tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{oops' } }],
            },
          ],
        }),
      'AGW_INVALID_REQUEST',
      /messages\.1\.tool_calls\.0\.function/,
    );
  });

  test('Claude upstreams get no signature sentinel on history tool calls', () => {
    const canonical = translate({
      model: 'claude-sonnet-4-5',
      messages: [
        ...hello,
        { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      ],
    });
    assert.deepEqual(canonical.request.contents[1]?.parts[0], { functionCall: { name: 'f', args: {}, id: 'c' } });
  });
});

describe('toCanonicalRequest: tools and tool_choice', () => {
  const tools = [
    {
      type: 'function',
      function: {
        name: 'search',
        description: 'Search docs',
        parameters: {
          type: 'object',
          properties: { q: { type: 'string', minLength: 1 } },
          additionalProperties: false,
        },
      },
    },
    { type: 'function', function: { name: 'noop' } },
  ];
  const table: Array<[unknown, Record<string, unknown>]> = [
    [undefined, { mode: 'VALIDATED' }],
    ['none', { mode: 'NONE' }],
    ['auto', { mode: 'AUTO' }],
    ['required', { mode: 'ANY' }],
    [
      { type: 'function', function: { name: 'search' } },
      { mode: 'ANY', allowedFunctionNames: ['search'] },
    ],
  ];
  for (const [choice, expected] of table) {
    test(`tool_choice ${JSON.stringify(choice)} → ${JSON.stringify(expected)}`, () => {
      const body: Record<string, unknown> = { messages: hello, tools };
      if (choice !== undefined) body['tool_choice'] = choice;
      assert.deepEqual(translate(body).request.toolConfig, { functionCallingConfig: expected });
    });
  }

  test('declarations are sanitised; a tool without parameters gets an empty object schema', () => {
    assert.deepEqual(translate({ messages: hello, tools }).request.tools, [
      {
        functionDeclarations: [
          {
            name: 'search',
            description: 'Search docs',
            parameters: {
              type: 'object',
              properties: { q: { type: 'string', description: '[Constraint: minLen: 1]' } },
            },
          },
          { name: 'noop', parameters: { type: 'object', properties: {} } },
        ],
      },
    ]);
  });

  test('a named tool_choice for an undeclared tool is an error', () => {
    expectError(
      () => translate({ messages: hello, tools, tool_choice: { type: 'function', function: { name: 'other' } } }),
      'AGW_INVALID_REQUEST',
      /tool_choice/,
    );
  });

  test('a web search tool alone becomes googleSearch', () => {
    const canonical = translate({ messages: hello, tools: [{ type: 'function', function: { name: 'web_search' } }] });
    assert.deepEqual(canonical.request.tools, [{ googleSearch: {} }]);
    assert.equal(canonical.request.toolConfig, undefined);
  });
});

describe('toCanonicalRequest: generation settings', () => {
  test('sampling, limits, stop, seed, penalties', () => {
    const config = translate({
      model: 'gpt-4',
      messages: hello,
      temperature: 0.3,
      top_p: 0.9,
      max_tokens: 100,
      stop: 'END',
      seed: 7,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      reasoning_effort: 'none',
    }).request.generationConfig;
    assert.deepEqual(config, {
      temperature: 0.3,
      topP: 0.9,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      seed: 7,
      stopSequences: ['END'],
      maxOutputTokens: 100,
      thinkingConfig: { includeThoughts: false, thinkingBudget: 0 },
    });
  });

  test('max_completion_tokens wins over max_tokens; stop arrays kept', () => {
    const config = translate({
      model: 'o3',
      messages: hello,
      max_tokens: 10,
      max_completion_tokens: 20,
      stop: ['a', 'b'],
    }).request.generationConfig;
    assert.deepEqual(config, { maxOutputTokens: 20, stopSequences: ['a', 'b'] });
  });

  test('reasoning_effort sets the thinking budget and leaves room for the answer', () => {
    const table: Array<[string, number]> = [
      ['low', 1024],
      ['medium', 8192],
      ['high', 24576],
    ];
    for (const [effort, budget] of table) {
      const config = translate({ model: 'claude-sonnet-4-5', messages: hello, reasoning_effort: effort }).request
        .generationConfig;
      assert.deepEqual(config?.thinkingConfig, { includeThoughts: true, thinkingBudget: budget }, effort);
      assert.equal(config?.maxOutputTokens, Math.min(budget + 32768, 64000), effort);
    }
    const fitted = translate({ model: 'gemini-3-flash', messages: hello, reasoning_effort: 'high', max_tokens: 4000 })
      .request.generationConfig;
    assert.deepEqual(fitted, {
      maxOutputTokens: 4000,
      thinkingConfig: { includeThoughts: true, thinkingBudget: 3999 },
    });
    const tooSmall = translate({
      model: 'claude-sonnet-4-5',
      messages: hello,
      reasoning_effort: 'low',
      max_tokens: 500,
    }).request.generationConfig;
    assert.deepEqual(tooSmall, { maxOutputTokens: 500 });
  });

  test('thinking models show their thoughts by default', () => {
    assert.deepEqual(translate({ model: 'gemini-3-flash', messages: hello }).request.generationConfig, {
      thinkingConfig: { includeThoughts: true },
    });
    assert.deepEqual(translate({ model: 'claude-opus-4-6', messages: hello }).request.generationConfig, {
      thinkingConfig: { includeThoughts: true, thinkingBudget: 8192 },
      maxOutputTokens: 40960,
    });
  });

  test('response_format json_object and json_schema', () => {
    assert.equal(
      translate({ model: 'o3', messages: hello, response_format: { type: 'json_object' } }).request.generationConfig
        ?.responseMimeType,
      'application/json',
    );
    const config = translate({
      model: 'o3',
      messages: hello,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'x',
          schema: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
        },
      },
    }).request.generationConfig;
    assert.deepEqual(config, {
      responseMimeType: 'application/json',
      responseJsonSchema: { type: 'object', properties: { a: { type: 'string' } } },
    });
  });

  test('stream and include_usage; n > 1 is refused', () => {
    const canonical = translate({ messages: hello, stream: true, stream_options: { include_usage: true } });
    assert.equal(canonical.stream, true);
    assert.equal(canonical.includeUsage, true);
    assert.equal(translate({ messages: hello }).includeUsage, false);
    expectError(() => translate({ messages: hello, n: 2 }), 'AGW_INVALID_REQUEST', /^n:/);
  });

  test('custom mapping and an explicit session header are honoured', () => {
    const canonical = toCanonicalRequest(parseChatRequest({ model: 'my-alias', messages: hello }), {
      customMapping: { 'my-*': 'gemini-3-flash' },
      sessionHeader: 'session-42',
    });
    assert.equal(canonical.upstreamModel, 'gemini-3-flash');
    assert.equal(canonical.clientModel, 'my-alias');
    assert.equal(canonical.sessionKey, 'session-42');
  });
});
