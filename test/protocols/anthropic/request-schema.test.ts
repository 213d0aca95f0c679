import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors/catalogue.ts';
import { parseCountTokensRequest, parseMessagesRequest } from '../../../src/protocols/anthropic/request-schema.ts';

const valid = {
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  messages: [{ role: 'user', content: 'Hello' }],
};

function rejection(body: unknown, options = {}): GatewayError {
  try {
    parseMessagesRequest(body, options);
  } catch (error) {
    assert.ok(GatewayError.is(error));
    return error;
  }
  assert.fail('expected a GatewayError');
}

describe('parseMessagesRequest', () => {
  test('accepts every block type and option', () => {
    const request = parseMessagesRequest({
      ...valid,
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBE' } },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'notes' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'redacted_thinking', data: 'opaque' },
            { type: 'tool_use', id: 'toolu_1', name: 'read', input: { path: 'a' } },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_1',
              is_error: false,
              content: [
                { type: 'text', text: 'ok' },
                { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'BBBB' } },
              ],
            },
          ],
        },
      ],
      tools: [{ name: 'read', description: 'Read a file', input_schema: { type: 'object', properties: {} } }],
      tool_choice: { type: 'tool', name: 'read' },
      metadata: { user_id: 'user-1' },
      stop_sequences: ['END'],
      temperature: 0.5,
      top_p: 0.9,
      top_k: 20,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      stream: true,
    });
    assert.equal(request.messages.length, 3);
    assert.equal(request.tool_choice?.type, 'tool');
  });

  const wrongTypes: Array<[string, Record<string, unknown>, string]> = [
    ['model missing', { ...valid, model: undefined }, 'model'],
    ['max_tokens as string', { ...valid, max_tokens: '10' }, 'max_tokens'],
    ['messages not an array', { ...valid, messages: 'hi' }, 'messages'],
    ['role unknown', { ...valid, messages: [{ role: 'robot', content: 'x' }] }, 'messages.0.role'],
    ['temperature as string', { ...valid, temperature: 'hot' }, 'temperature'],
    ['stop_sequences of numbers', { ...valid, stop_sequences: [1] }, 'stop_sequences.0'],
    ['tool_choice type unknown', { ...valid, tool_choice: { type: 'maybe' } }, 'tool_choice.type'],
    ['thinking type unknown', { ...valid, thinking: { type: 'sometimes' } }, 'thinking.type'],
    [
      'tool_use input not an object',
      { ...valid, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'b', input: 3 }] }] },
      'messages.0.content.0.input',
    ],
  ];
  for (const [label, body, field] of wrongTypes) {
    test(`rejects ${label}, naming ${field}`, () => {
      const error = rejection(body);
      assert.equal(error.code, 'AGW_INVALID_REQUEST');
      assert.match(error.message, new RegExp(`: ${field.replaceAll('.', '\\.')}:`));
    });
  }

  test('rejects unknown content block types with a clear message', () => {
    const error = rejection({
      ...valid,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'audio', data: 'x' },
          ],
        },
      ],
    });
    assert.equal(error.code, 'AGW_INVALID_REQUEST');
    assert.match(error.message, /messages\.0\.content\.1\.type: content block type "audio" is not supported/);
  });

  test('rejects unknown block types inside tool results', () => {
    const error = rejection({
      ...valid,
      messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: [{ type: 'video' }] }] }],
    });
    assert.match(error.message, /messages\.0\.content\.0\.content\.0\.type/);
  });

  test('url image sources are refused unless allowed', () => {
    const body = {
      ...valid,
      messages: [
        { role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }] },
      ],
    };
    assert.equal(rejection(body).code, 'AGW_FORBIDDEN_URL');
    assert.equal(parseMessagesRequest(body, { allowUrlSources: true }).messages.length, 1);
  });

  test('count_tokens bodies need no max_tokens; messages bodies do', () => {
    const { max_tokens: _omitted, ...withoutMax } = valid;
    assert.equal(parseCountTokensRequest(withoutMax).model, 'claude-sonnet-4-5');
    assert.match(rejection(withoutMax).message, /max_tokens/);
  });

  test('a non-object body is refused', () => {
    assert.equal(rejection('nope').code, 'AGW_INVALID_REQUEST');
  });
});
