import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors/catalogue.ts';
import { buildChatCompletion } from '../../../src/protocols/openai/chat-completion.ts';
import { createChatStreamEncoder } from '../../../src/protocols/openai/chat-stream.ts';
import { openAiErrorBody } from '../../../src/protocols/openai/errors.ts';
import { openAiModelList } from '../../../src/protocols/openai/models-list.ts';
import { decodeFixture, fixtureNames } from '../canonical/fixture-helpers.ts';

const options = { id: 'chatcmpl-test', created: 1767225600, model: 'gpt-4o' };

function golden(name: string): string {
  return readFileSync(new URL(`../../fixtures/upstream/openai/${name}`, import.meta.url), 'utf8');
}

async function streamFrames(name: string, includeUsage = true): Promise<string[]> {
  const encoder = createChatStreamEncoder({ ...options, includeUsage });
  const events = await decodeFixture(name);
  return [...events.flatMap((event) => encoder.push(event)), ...encoder.end()];
}

describe('OpenAI stream encoder goldens', () => {
  for (const name of fixtureNames) {
    test(`${name} → chat.completion.chunk frames`, async () => {
      assert.equal((await streamFrames(name)).join(''), golden(`${name}.stream.txt`));
    });
  }

  test('every frame is a data line ending in a blank line, and the stream ends with [DONE]', async () => {
    for (const name of fixtureNames) {
      const frames = await streamFrames(name);
      for (const frame of frames) assert.match(frame, /^data: .+\n\n$/s);
      assert.equal(frames.at(-1), 'data: [DONE]\n\n');
      assert.equal(frames.filter((frame) => frame === 'data: [DONE]\n\n').length, 1);
    }
  });

  test('without include_usage there is no usage chunk', async () => {
    const frames = await streamFrames('text-only', false);
    assert.equal(frames.filter((frame) => frame.includes('"usage"')).length, 0);
    assert.match(frames.at(-2) ?? '', /"finish_reason":"stop"/);
  });

  test('finish reasons: length and content_filter', async () => {
    assert.match((await streamFrames('usage-snake')).join(''), /"finish_reason":"length"/);
    assert.match((await streamFrames('safety')).join(''), /"finish_reason":"content_filter"/);
  });

  test('an encoder ended without finish or error reports truncation instead of a clean stop', () => {
    const encoder = createChatStreamEncoder({ ...options, includeUsage: false });
    encoder.push({ type: 'message-start', id: 'x', model: 'm' });
    encoder.push({ type: 'text-delta', text: 'partial' });
    const closing = encoder.end();
    assert.match(closing[0] ?? '', /AGW_UPSTREAM_STREAM_BROKEN/);
    assert.equal(closing.at(-1), 'data: [DONE]\n\n');
    assert.deepEqual(encoder.end(), []);
  });
});

describe('OpenAI non-stream body goldens', () => {
  for (const name of fixtureNames) {
    test(`${name} → chat.completion JSON (or the thrown error)`, async () => {
      const events = await decodeFixture(name);
      let body: unknown;
      try {
        body = buildChatCompletion(events, options);
      } catch (error) {
        assert.ok(GatewayError.is(error));
        body = { thrown: error.code, status: error.status };
      }
      assert.deepEqual(body, JSON.parse(golden(`${name}.completion.json`)));
    });
  }

  test('reasoning and usage include thought tokens', async () => {
    const body = buildChatCompletion(await decodeFixture('thinking-signature'), options);
    assert.equal(body.choices[0]?.message.reasoning_content, 'Let me think');
    assert.equal(body.choices[0]?.message.content, 'Hello!');
    assert.deepEqual(body.usage, {
      prompt_tokens: 120,
      completion_tokens: 20,
      total_tokens: 140,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 11 },
    });
  });
});

describe('OpenAI error bodies', () => {
  const table: Array<[ConstructorParameters<typeof GatewayError>[0], number, string]> = [
    ['AGW_INVALID_REQUEST', 400, 'invalid_request_error'],
    ['AGW_FORBIDDEN_URL', 400, 'invalid_request_error'],
    ['AGW_UNAUTHORIZED', 401, 'authentication_error'],
    ['AGW_NOT_FOUND', 404, 'not_found_error'],
    ['AGW_ALL_ACCOUNTS_LIMITED', 429, 'rate_limit_error'],
    ['AGW_NO_ACCOUNTS', 503, 'server_error'],
    ['AGW_UPSTREAM_TIMEOUT', 504, 'timeout_error'],
    ['AGW_INTERNAL', 500, 'server_error'],
  ];
  for (const [code, status, type] of table) {
    test(`${code} → ${status} ${type}`, () => {
      const error = new GatewayError(code, `message for ${code}`);
      assert.equal(error.status, status);
      assert.deepEqual(openAiErrorBody(error), {
        error: { message: `message for ${code}`, type, param: null, code },
      });
    });
  }
});

describe('OpenAI model list', () => {
  test('list shape', () => {
    assert.deepEqual(openAiModelList(['a', 'b']), {
      object: 'list',
      data: [
        { id: 'a', object: 'model', created: 1706745600, owned_by: 'antigravity' },
        { id: 'b', object: 'model', created: 1706745600, owned_by: 'antigravity' },
      ],
    });
  });
});
