import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors/catalogue.ts';
import { interruptedToolMessage } from '../../../src/protocols/anthropic/content-mapper.ts';
import { parseMessagesRequest } from '../../../src/protocols/anthropic/request-schema.ts';
import { type TranslationOptions, toCanonicalRequest } from '../../../src/protocols/anthropic/request-translator.ts';
import { newStore } from './helpers.ts';

function translate(body: Record<string, unknown>, options: Partial<TranslationOptions> = {}) {
  const request = parseMessagesRequest(
    { model: 'claude-sonnet-4-5', max_tokens: 1000, ...body },
    { allowUrlSources: true },
  );
  return toCanonicalRequest(request, { customMapping: {}, signatureStore: newStore(), ...options });
}

const user = (content: unknown) => ({ role: 'user', content });
const assistant = (content: unknown) => ({ role: 'assistant', content });

describe('toCanonicalRequest: content blocks', () => {
  test('roles map assistant → model and string content becomes a text part', () => {
    const result = translate({ messages: [user('Hi'), assistant('Hello'), user('Bye')] });
    assert.deepEqual(result.request.contents, [
      { role: 'user', parts: [{ text: 'Hi' }] },
      { role: 'model', parts: [{ text: 'Hello' }] },
      { role: 'user', parts: [{ text: 'Bye' }] },
    ]);
  });

  const cases: Array<[string, unknown, unknown[]]> = [
    ['text block', [{ type: 'text', text: 'a' }], [{ text: 'a' }]],
    [
      'blank text is skipped',
      [
        { type: 'text', text: '  ' },
        { type: 'text', text: 'b' },
      ],
      [{ text: 'b' }],
    ],
    [
      'base64 image → inlineData',
      [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }],
      [{ inlineData: { mimeType: 'image/png', data: 'AAAA' } }],
    ],
    [
      'url image (allowed) → fileData',
      [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }],
      [{ fileData: { fileUri: 'https://example.com/a.png' } }],
    ],
    [
      'base64 document → inlineData',
      [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBE' } }],
      [{ inlineData: { mimeType: 'application/pdf', data: 'JVBE' } }],
    ],
    [
      'text document → text',
      [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'notes' } }],
      [{ text: 'notes' }],
    ],
  ];
  for (const [label, content, parts] of cases) {
    test(label, () => {
      assert.deepEqual(translate({ messages: [user(content)] }).request.contents, [{ role: 'user', parts }]);
    });
  }

  test('tool_use → functionCall, tool_result → functionResponse named after the call', () => {
    const result = translate({
      model: 'claude-sonnet-4-5',
      messages: [
        user('weather?'),
        assistant([{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }]),
        user([{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }]),
      ],
    });
    assert.deepEqual(result.request.contents.slice(1), [
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' }, id: 'toolu_1' } }] },
      {
        role: 'user',
        parts: [{ functionResponse: { name: 'get_weather', response: { result: 'sunny' }, id: 'toolu_1' } }],
      },
    ]);
  });

  test('is_error is conveyed as {error}; block content joins texts and images become inlineData', () => {
    const result = translate({
      messages: [
        user('go'),
        assistant([{ type: 'tool_use', id: 't1', name: 'shot', input: {} }]),
        user([
          {
            type: 'tool_result',
            tool_use_id: 't1',
            is_error: true,
            content: [
              { type: 'text', text: 'line 1' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'IMG' } },
              { type: 'text', text: 'line 2' },
            ],
          },
        ]),
      ],
    });
    assert.deepEqual(result.request.contents[2], {
      role: 'user',
      parts: [
        { functionResponse: { name: 'shot', response: { error: 'line 1\nline 2' }, id: 't1' } },
        { inlineData: { mimeType: 'image/png', data: 'IMG' } },
      ],
    });
  });

  test('empty tool results get an explicit message', () => {
    const result = translate({
      messages: [
        user('go'),
        assistant([{ type: 'tool_use', id: 't1', name: 'run', input: {} }]),
        user([{ type: 'tool_result', tool_use_id: 't1' }]),
      ],
    });
    const response = result.request.contents[2]?.parts[0]?.functionResponse?.response;
    assert.deepEqual(response, { result: 'Tool executed successfully with no output.' });
  });

  test('a tool_result without a matching call is kept as text', () => {
    const result = translate({ messages: [user([{ type: 'tool_result', tool_use_id: 'ghost', content: 'out' }])] });
    assert.deepEqual(result.request.contents, [
      { role: 'user', parts: [{ text: '[Result of tool call ghost]\nout' }] },
    ]);
  });

  test('redacted thinking is dropped', () => {
    const result = translate({
      messages: [
        user('a'),
        assistant([
          { type: 'redacted_thinking', data: 'x' },
          { type: 'text', text: 'b' },
        ]),
      ],
    });
    assert.deepEqual(result.request.contents[1], { role: 'model', parts: [{ text: 'b' }] });
  });

  test('consecutive same-role messages are merged', () => {
    const result = translate({ messages: [user('a'), user('b')] });
    assert.deepEqual(result.request.contents, [{ role: 'user', parts: [{ text: 'a' }, { text: 'b' }] }]);
  });
});

describe('toCanonicalRequest: tool-call repair keeps every message (weakness 4)', () => {
  test('an assistant turn after unanswered calls is kept, with synthetic results before it', () => {
    const result = translate({
      messages: [
        user('start'),
        assistant([
          { type: 'text', text: 'calling' },
          { type: 'tool_use', id: 't1', name: 'a', input: {} },
        ]),
        assistant('I changed my mind.'),
        user('ok'),
      ],
    });
    assert.deepEqual(result.request.contents, [
      { role: 'user', parts: [{ text: 'start' }] },
      { role: 'model', parts: [{ text: 'calling' }, { functionCall: { name: 'a', args: {}, id: 't1' } }] },
      {
        role: 'user',
        parts: [{ functionResponse: { name: 'a', response: { error: interruptedToolMessage }, id: 't1' } }],
      },
      { role: 'model', parts: [{ text: 'I changed my mind.' }] },
      { role: 'user', parts: [{ text: 'ok' }] },
    ]);
  });

  test('a user turn answering some calls gets the missing ones first', () => {
    const result = translate({
      messages: [
        user('start'),
        assistant([
          { type: 'tool_use', id: 't1', name: 'a', input: {} },
          { type: 'tool_use', id: 't2', name: 'b', input: {} },
        ]),
        user([
          { type: 'tool_result', tool_use_id: 't2', content: 'done' },
          { type: 'text', text: 'and?' },
        ]),
      ],
    });
    assert.deepEqual(result.request.contents[2], {
      role: 'user',
      parts: [
        { functionResponse: { name: 'a', response: { error: interruptedToolMessage }, id: 't1' } },
        { functionResponse: { name: 'b', response: { result: 'done' }, id: 't2' } },
        { text: 'and?' },
      ],
    });
  });
});

describe('toCanonicalRequest: options', () => {
  test('system string or blocks → systemInstruction, no identity prompt injected', () => {
    assert.deepEqual(translate({ system: 'Be brief.', messages: [user('a')] }).request.systemInstruction, {
      role: 'user',
      parts: [{ text: 'Be brief.' }],
    });
    const blocks = translate({
      system: [
        { type: 'text', text: 'One' },
        { type: 'text', text: 'Two' },
      ],
      messages: [user('a')],
    });
    assert.deepEqual(blocks.request.systemInstruction?.parts, [{ text: 'One' }, { text: 'Two' }]);
    assert.equal(translate({ messages: [user('a')] }).request.systemInstruction, undefined);
  });

  test('tools → functionDeclarations with sanitised schemas; web search alone → googleSearch', () => {
    const result = translate({
      messages: [user('a')],
      tools: [
        { name: 'read', description: 'Read', input_schema: { type: 'object', properties: { p: { type: 'string' } } } },
        { name: 'noop' },
        { type: 'web_search_20250305', name: 'web_search' },
      ],
    });
    assert.deepEqual(result.request.tools, [
      {
        functionDeclarations: [
          { name: 'read', description: 'Read', parameters: { type: 'object', properties: { p: { type: 'string' } } } },
          { name: 'noop', parameters: { type: 'object', properties: {} } },
        ],
      },
    ]);
    assert.deepEqual(result.toolNames, ['read', 'noop', 'web_search']);
    const searchOnly = translate({
      messages: [user('a')],
      tools: [{ type: 'web_search_20250305', name: 'web_search' }],
    });
    assert.deepEqual(searchOnly.request.tools, [{ googleSearch: {} }]);
  });

  test('unsupported server tools are refused', () => {
    assert.throws(
      () => translate({ messages: [user('a')], tools: [{ type: 'bash_20250124', name: 'bash' }] }),
      (error: unknown) =>
        GatewayError.is(error) && error.code === 'AGW_INVALID_REQUEST' && /tools\.0\.type/.test(error.message),
    );
  });

  const choices: Array<[unknown, unknown]> = [
    [{ type: 'auto' }, { functionCallingConfig: { mode: 'AUTO' } }],
    [{ type: 'any' }, { functionCallingConfig: { mode: 'ANY' } }],
    [{ type: 'none' }, { functionCallingConfig: { mode: 'NONE' } }],
    [{ type: 'tool', name: 'read' }, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['read'] } }],
  ];
  for (const [choice, config] of choices) {
    test(`tool_choice ${JSON.stringify(choice)} is honoured`, () => {
      const result = translate({
        messages: [user('a')],
        tools: [{ name: 'read', input_schema: { type: 'object' } }],
        tool_choice: choice,
      });
      assert.deepEqual(result.request.toolConfig, config);
    });
  }

  test('tool_choice naming an undeclared tool is refused', () => {
    assert.throws(
      () =>
        translate({ messages: [user('a')], tools: [{ name: 'read' }], tool_choice: { type: 'tool', name: 'write' } }),
      /tool_choice\.name/,
    );
  });

  test('sampling, stop_sequences and max_tokens reach generationConfig', () => {
    const result = translate({
      messages: [user('a')],
      temperature: 0.3,
      top_p: 0.8,
      top_k: 12,
      stop_sequences: ['STOP', 'END'],
      max_tokens: 500,
    });
    assert.deepEqual(result.request.generationConfig, {
      maxOutputTokens: 500,
      temperature: 0.3,
      topP: 0.8,
      topK: 12,
      stopSequences: ['STOP', 'END'],
    });
  });

  test('thinking budget → thinkingConfig; max_tokens raised when the budget would consume it', () => {
    const roomy = translate({
      messages: [user('a')],
      max_tokens: 8000,
      thinking: { type: 'enabled', budget_tokens: 2000 },
    });
    assert.deepEqual(roomy.request.generationConfig, {
      maxOutputTokens: 8000,
      thinkingConfig: { includeThoughts: true, thinkingBudget: 2000 },
    });
    const tight = translate({
      messages: [user('a')],
      max_tokens: 2000,
      thinking: { type: 'enabled', budget_tokens: 4000 },
    });
    assert.equal(tight.request.generationConfig?.maxOutputTokens, 4000 + 8192);
    const adaptive = translate({ messages: [user('a')], thinking: { type: 'adaptive' } });
    // The default test model is Claude: adaptive thinking goes out as thinkingLevel, default high.
    assert.deepEqual(adaptive.request.generationConfig?.thinkingConfig, {
      includeThoughts: true,
      thinkingLevel: 'high',
    });
    const off = translate({ messages: [user('a')], thinking: { type: 'disabled' } });
    assert.equal(off.request.generationConfig?.thinkingConfig, undefined);
    assert.equal(off.thinkingEnabled, false);
  });

  test('tool_use arguments are type-fixed against the declared schema (via fixToolArguments)', () => {
    const result = translate({
      messages: [user('a'), assistant([{ type: 'tool_use', id: 't', name: 'count', input: { n: '3' } }])],
      tools: [{ name: 'count', input_schema: { type: 'object', properties: { n: { type: 'integer' } } } }],
    });
    // The string the client sent back is coerced to the integer the tool declares.
    assert.deepEqual(result.request.contents[1]?.parts[0]?.functionCall?.args, { n: 3 });
  });

  test('session key: metadata.user_id, else sid- and 16 hex of the first user text hash', () => {
    assert.equal(translate({ messages: [user('a')], metadata: { user_id: 'user_42' } }).sessionKey, 'user_42');
    const first = translate({ messages: [user('Fix the bug in main.ts')] }).sessionKey;
    const later = translate({
      messages: [user('Fix the bug in main.ts'), assistant('Done'), user('Thanks')],
    }).sessionKey;
    assert.match(first, /^sid-[0-9a-f]{16}$/);
    assert.equal(first, later);
    assert.notEqual(first, translate({ messages: [user('Something else')] }).sessionKey);
  });

  test('the model is mapped once; clientModel stays what the client sent', () => {
    const result = translate({ model: 'claude-sonnet-4-5', messages: [user('a')], stream: true });
    assert.equal(result.clientModel, 'claude-sonnet-4-5');
    // The built-in table (docs/models.md) maps it once; nothing maps it a second time.
    assert.equal(result.upstreamModel, 'claude-sonnet-4-6');
    assert.equal(result.family, 'claude');
    assert.equal(result.stream, true);
    assert.equal(result.protocol, 'anthropic');
  });
});

describe('toCanonicalRequest: background tasks', () => {
  const titleRequest = {
    messages: [user('Please write a 5-10 word title for the following conversation: fixing tests')],
    tools: [{ name: 'read' }],
    thinking: { type: 'enabled', budget_tokens: 4000 },
  };

  test('with backgroundTaskModel, a title request uses it without thinking or tools', () => {
    const result = translate(titleRequest, { backgroundTaskModel: 'gemini-2.5-flash' });
    assert.equal(result.backgroundTask, 'title');
    assert.equal(result.upstreamModel, 'gemini-2.5-flash');
    assert.equal(result.request.tools, undefined);
    assert.equal(result.request.generationConfig?.thinkingConfig, undefined);
    assert.equal(result.thinkingDisabledReason, 'background-task');
  });

  test('without the option the request is untouched', () => {
    const result = translate(titleRequest);
    assert.equal(result.backgroundTask, undefined);
    assert.equal(result.upstreamModel, 'claude-sonnet-4-6');
    assert.ok(result.request.tools !== undefined);
  });
});

describe('system messages inside messages (Claude Code)', () => {
  test('are moved into the system instruction, in order, and leave the conversation alternating', () => {
    const result = translate({
      system: 'Top system.',
      messages: [
        user('Say hello'),
        { role: 'system', content: 'Mid-conversation system note.' } as never,
        assistant('Hello'),
        user('Again'),
      ],
    });
    const systemText = (result.request.systemInstruction?.parts ?? []).map((part) => part.text).join('\n');
    assert.match(systemText, /Top system\.[\s\S]*Mid-conversation system note\./);
    assert.deepEqual(
      result.request.contents.map((content) => content.role),
      ['user', 'model', 'user'],
    );
  });
});
