import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors/catalogue.ts';
import { skipSignatureSentinel } from '../../../src/protocols/canonical/safety.ts';
import { compactionPrompt, encodeCompaction } from '../../../src/protocols/openai/responses-compaction.ts';
import { encodeReasoning } from '../../../src/protocols/openai/responses-reasoning.ts';
import {
  type ResponsesCanonicalRequest,
  toResponsesCanonicalRequest,
} from '../../../src/protocols/openai/responses-request.ts';
import { parseResponsesRequest, type ResponsesRequest } from '../../../src/protocols/openai/responses-schema.ts';

function translate(
  body: Record<string, unknown>,
  options: Partial<Parameters<typeof toResponsesCanonicalRequest>[1]> = {},
): ResponsesCanonicalRequest {
  const parsed = parseResponsesRequest({ model: 'gemini-3-flash', ...body }) as ResponsesRequest & { model: string };
  return toResponsesCanonicalRequest(parsed, { customMapping: {}, ...options });
}

function rejects(body: Record<string, unknown>, pattern: RegExp): void {
  assert.throws(
    () => translate(body),
    (error: unknown) => GatewayError.is(error) && error.code === 'AGW_INVALID_REQUEST' && pattern.test(error.message),
  );
}

const weather = {
  type: 'function',
  name: 'get_weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } } },
};

describe('Responses input items', () => {
  test('a string input is one user turn; instructions and developer messages form the system instruction', () => {
    const canonical = translate({
      instructions: 'Be brief.',
      input: [
        { role: 'developer', content: 'Use metric units.' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] },
      ],
    });
    assert.deepEqual(canonical.request.systemInstruction, {
      role: 'user',
      parts: [{ text: 'Be brief.\n\nUse metric units.' }],
    });
    assert.deepEqual(canonical.request.contents, [{ role: 'user', parts: [{ text: 'Hello' }] }]);
    assert.deepEqual(translate({ input: 'Hi' }).request.contents, [{ role: 'user', parts: [{ text: 'Hi' }] }]);
  });

  test('function calls and outputs become functionCall / functionResponse turns with Gemini sentinels', () => {
    const canonical = translate({
      tools: [weather],
      input: [
        { role: 'user', content: 'Weather?' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'call_1', output: '21 degrees' },
      ],
    });
    assert.deepEqual(canonical.request.contents, [
      { role: 'user', parts: [{ text: 'Weather?' }] },
      {
        role: 'model',
        parts: [
          { text: 'Checking.' },
          {
            functionCall: { name: 'get_weather', args: { city: 'Paris' }, id: 'call_1' },
            thoughtSignature: skipSignatureSentinel,
          },
        ],
      },
      {
        role: 'user',
        parts: [{ functionResponse: { name: 'get_weather', response: { result: '21 degrees' }, id: 'call_1' } }],
      },
    ]);
    assert.deepEqual(canonical.request.toolConfig, { functionCallingConfig: { mode: 'VALIDATED' } });
  });

  test('custom tool calls carry their raw input; tool outputs with images add image parts', () => {
    const tinyPng = 'data:image/png;base64,iVBORw0KGgo=';
    const canonical = translate({
      tools: [
        { type: 'custom', name: 'apply_patch', format: { type: 'grammar', syntax: 'lark', definition: 'start: x' } },
      ],
      input: [
        { role: 'user', content: 'Patch it' },
        { type: 'custom_tool_call', call_id: 'c1', name: 'apply_patch', input: '*** Begin Patch' },
        {
          type: 'custom_tool_call_output',
          call_id: 'c1',
          output: [
            { type: 'input_text', text: 'done' },
            { type: 'input_image', image_url: tinyPng },
          ],
        },
      ],
    });
    const declaration = canonical.request.tools?.[0]?.functionDeclarations?.[0];
    assert.equal(declaration?.name, 'apply_patch');
    assert.match(JSON.stringify(declaration?.parameters), /lark grammar:\\nstart: x/);
    assert.deepEqual(canonical.toolKinds, { apply_patch: { kind: 'custom' } });
    assert.deepEqual(canonical.request.contents[1]?.parts[0]?.functionCall, {
      name: 'apply_patch',
      args: { input: '*** Begin Patch' },
      id: 'c1',
    });
    assert.deepEqual(canonical.request.contents[2]?.parts, [
      { functionResponse: { name: 'apply_patch', response: { result: 'done' }, id: 'c1' } },
      { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
    ]);
  });

  test('namespace tools are flattened and remember their namespace', () => {
    const canonical = translate({
      input: 'hi',
      tools: [{ type: 'namespace', name: 'agents', tools: [{ type: 'function', name: 'spawn_agent' }] }],
    });
    assert.equal(canonical.request.tools?.[0]?.functionDeclarations?.[0]?.name, 'spawn_agent');
    assert.deepEqual(canonical.toolKinds, { spawn_agent: { kind: 'function', namespace: 'agents' } });
  });

  test('web_search is Google Search only without function tools (v1internal cannot mix them)', () => {
    assert.deepEqual(translate({ input: 'news', tools: [{ type: 'web_search' }] }).request.tools, [
      { googleSearch: {} },
    ]);
    const mixed = translate({ input: 'news', tools: [{ type: 'web_search' }, weather] }).request.tools;
    assert.equal(mixed?.length, 1);
    assert.ok(mixed?.[0]?.functionDeclarations);
  });

  test('tool_choice maps to Gemini function calling modes', () => {
    const mode = (tool_choice: unknown) =>
      translate({ input: 'x', tools: [weather], tool_choice }).request.toolConfig?.functionCallingConfig;
    assert.deepEqual(mode('none'), { mode: 'NONE' });
    assert.deepEqual(mode('auto'), { mode: 'AUTO' });
    assert.deepEqual(mode('required'), { mode: 'ANY' });
    assert.deepEqual(mode({ type: 'function', name: 'get_weather' }), {
      mode: 'ANY',
      allowedFunctionNames: ['get_weather'],
    });
    assert.deepEqual(
      mode({ type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'get_weather' }] }),
      {
        mode: 'VALIDATED',
        allowedFunctionNames: ['get_weather'],
      },
    );
    rejects(
      { input: 'x', tools: [weather], tool_choice: { type: 'function', name: 'nope' } },
      /not one of the declared/,
    );
  });

  test('reasoning effort sets the thinking budget; Codex efforts above xhigh use the xhigh budget', () => {
    const config = (effort: string) =>
      translate({ input: 'x', reasoning: { effort } }).request.generationConfig?.thinkingConfig;
    assert.deepEqual(config('low'), { includeThoughts: true, thinkingBudget: 1024 });
    assert.deepEqual(config('max'), config('xhigh'));
    assert.deepEqual(config('none'), { includeThoughts: false, thinkingBudget: 0 });
    rejects({ input: 'x', reasoning: { effort: 'extreme' } }, /reasoning.effort/);
  });

  test('text.format json_schema, max_output_tokens and sampling settings reach the generation config', () => {
    const config = translate({
      model: 'gemini-3.1-flash-lite',
      input: 'x',
      max_output_tokens: 500,
      temperature: 0.3,
      top_p: 0.9,
      text: { format: { type: 'json_schema', name: 'p', schema: { type: 'object', properties: {} } } },
    }).request.generationConfig;
    assert.equal(config?.maxOutputTokens, 500);
    assert.equal(config?.temperature, 0.3);
    assert.equal(config?.topP, 0.9);
    assert.equal(config?.responseMimeType, 'application/json');
    assert.deepEqual(config?.responseJsonSchema, { type: 'object', properties: {} });
  });

  test('stored history comes first; the session key follows prompt_cache_key', () => {
    const canonical = translate(
      { input: 'second', prompt_cache_key: 'thread-42' },
      {
        history: [
          { role: 'user', content: 'first' },
          { type: 'message', role: 'assistant', content: 'answer' },
        ],
      },
    );
    assert.deepEqual(
      canonical.request.contents.map((content) => content.role),
      ['user', 'model', 'user'],
    );
    assert.equal(canonical.items.length, 3);
    assert.equal(canonical.sessionKey, 'thread-42');
    assert.equal(translate({ input: 'x', prompt_cache_key: 'a' }, { sessionHeader: 'b' }).sessionKey, 'b');
  });

  test('compaction: agw compaction items expand to a summary turn; a trigger asks for a summary without tools', () => {
    const canonical = translate({
      tools: [weather],
      input: [
        { type: 'compaction', encrypted_content: encodeCompaction('We fixed the bug.') },
        { role: 'user', content: 'And now?' },
        { type: 'compaction_trigger' },
      ],
    });
    assert.equal(canonical.compaction, true);
    assert.equal(canonical.request.tools, undefined);
    const texts = canonical.request.contents.flatMap((content) => content.parts.map((part) => part.text));
    assert.match(String(texts[0]), /compacted\):\n\nWe fixed the bug\.$/);
    assert.equal(texts.at(-1), compactionPrompt);
    assert.ok(!canonical.items.some((item) => item.type === 'compaction_trigger'), 'the trigger is not stored');
    rejects({ input: [{ type: 'compaction', encrypted_content: 'gAAAA-openai' }] }, /not made by agw/);
  });

  test('bad input is refused with the field named', () => {
    rejects({ input: [{ type: 'function_call_output', call_id: 'nope', output: 'x' }] }, /input\.0\.call_id/);
    rejects({ input: [{ type: 'item_reference', id: 'msg_1' }] }, /unsupported input item type "item_reference"/);
    rejects({ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] }, /file ids/);
    rejects({ input: 'x', tools: [{ type: 'file_search' }] }, /tools\.0\.type: "file_search"/);
    rejects({ input: 'x', tools: [weather, weather] }, /declared twice/);
    rejects({ input: [] }, /at least one user message/);
    rejects({ input: [{ role: 'wizard', content: 'x' }] }, /unsupported role/);
  });
});

describe('Claude thinking across tool turns', () => {
  const claude = { model: 'claude-opus-4-6-thinking', tools: [weather] };
  const call = { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{}' };
  const output = { type: 'function_call_output', call_id: 'call_1', output: 'sunny' };

  test('a signed reasoning item is replayed before the tool call, and thinking stays on', () => {
    const canonical = translate({
      ...claude,
      input: [
        { role: 'user', content: 'Weather?' },
        {
          type: 'reasoning',
          summary: [{ type: 'summary_text', text: 'I should check.' }],
          encrypted_content: encodeReasoning('claude', 'sig-abc'),
        },
        call,
        output,
      ],
    });
    assert.deepEqual(canonical.request.contents[1]?.parts[0], {
      text: 'I should check.',
      thought: true,
      thoughtSignature: 'sig-abc',
    });
    assert.ok(canonical.request.generationConfig?.thinkingConfig, 'thinking stays on');
  });

  test('a tool turn without signed thinking turns thinking off; a foreign family signature is never sent', () => {
    const canonical = translate({
      ...claude,
      input: [
        { role: 'user', content: 'Weather?' },
        { type: 'reasoning', summary: [], encrypted_content: encodeReasoning('gemini', 'sig-gemini') },
        call,
        output,
      ],
    });
    assert.equal(canonical.request.generationConfig?.thinkingConfig, undefined);
    assert.ok(!JSON.stringify(canonical.request.contents).includes('sig-gemini'));
  });
});
