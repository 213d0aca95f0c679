import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors/catalogue.ts';
import { detectBackgroundTask, isWarmupRequest } from '../../../src/protocols/anthropic/background-task.ts';
import { countTokens, imageTokens } from '../../../src/protocols/anthropic/count-tokens.ts';
import {
  anthropicErrorBody,
  anthropicErrorResponse,
  anthropicErrorType,
} from '../../../src/protocols/anthropic/error-body.ts';
import { parseCountTokensRequest } from '../../../src/protocols/anthropic/request-schema.ts';
import { createSignatureStore } from '../../../src/protocols/anthropic/signature-store.ts';

describe('signature store', () => {
  test('entries expire after ttlMs on the injected clock', () => {
    let now = 1_000;
    const store = createSignatureStore({ maxEntries: 10, ttlMs: 500, now: () => now });
    store.remember('s', 'a', 'claude', 'sig');
    assert.equal(store.isKnown('s', 'a', 'claude', 'sig'), true);
    now = 1_499;
    assert.equal(store.latest('s', undefined, 'claude'), 'sig');
    now = 1_500;
    assert.equal(store.isKnown('s', 'a', 'claude', 'sig'), false);
    assert.equal(store.latest('s', undefined, 'claude'), undefined);
  });

  test('the least recently used entry is evicted beyond maxEntries', () => {
    const store = createSignatureStore({ maxEntries: 2, ttlMs: 1_000, now: () => 0 });
    store.remember('s', 'a', 'claude', 'one');
    store.remember('s', 'a', 'claude', 'two');
    store.remember('s', 'a', 'claude', 'one');
    store.remember('s', 'a', 'claude', 'three');
    assert.equal(store.size(), 2);
    assert.equal(store.isKnown('s', 'a', 'claude', 'two'), false);
    assert.equal(store.isKnown('s', 'a', 'claude', 'one'), true);
    assert.equal(store.latest('s', 'a', 'claude'), 'three');
  });

  test('signatures are scoped by session, family and (optionally) account', () => {
    const store = createSignatureStore({ maxEntries: 10, ttlMs: 1_000, now: () => 0 });
    store.remember('s1', 'a', 'gemini', 'sig', 'call-1');
    assert.equal(store.isKnown('s2', undefined, 'gemini', 'sig'), false);
    assert.equal(store.isKnown('s1', undefined, 'claude', 'sig'), false);
    assert.equal(store.isKnown('s1', 'b', 'gemini', 'sig'), false);
    assert.equal(store.isKnown('s1', undefined, 'gemini', 'sig'), true);
    assert.equal(store.familyOf('s1', 'sig'), 'gemini');
    assert.equal(store.forToolCall('s1', 'call-1', 'gemini'), 'sig');
    store.forget('s1');
    assert.equal(store.size(), 0);
  });
});

describe('anthropic error bodies', () => {
  const table: Array<[number, string]> = [
    [400, 'invalid_request_error'],
    [413, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [502, 'api_error'],
    [503, 'overloaded_error'],
    [529, 'overloaded_error'],
    [504, 'api_error'],
  ];
  for (const [status, type] of table) test(`${status} → ${type}`, () => assert.equal(anthropicErrorType(status), type));

  test('body shape and status from a GatewayError', () => {
    const error = new GatewayError('AGW_ALL_ACCOUNTS_LIMITED', 'Every account is cooling down.');
    assert.deepEqual(anthropicErrorBody(error), {
      type: 'error',
      error: { type: 'rate_limit_error', message: 'Every account is cooling down.' },
    });
    assert.equal(anthropicErrorResponse(new GatewayError('AGW_DEADLINE_EXCEEDED', 'late')).status, 504);
    assert.equal(
      anthropicErrorResponse(new GatewayError('AGW_UPSTREAM_SERVER_ERROR', 'x')).body.error.type,
      'api_error',
    );
  });
});

describe('count_tokens estimate', () => {
  const base = { model: 'claude-sonnet-4-5' };

  test('never 0 for a non-empty request and grows with the text', () => {
    const small = countTokens(parseCountTokensRequest({ ...base, messages: [{ role: 'user', content: 'Hi' }] }));
    const large = countTokens(
      parseCountTokensRequest({ ...base, messages: [{ role: 'user', content: 'word '.repeat(1000) }] }),
    );
    assert.ok(small.input_tokens >= 1);
    assert.equal(large.input_tokens, Math.ceil(5000 / 4) + 4);
  });

  test('system prompt, tools and images all count', () => {
    const plain = countTokens(parseCountTokensRequest({ ...base, messages: [{ role: 'user', content: 'Hi' }] }));
    const full = countTokens(
      parseCountTokensRequest({
        ...base,
        system: 'x'.repeat(400),
        tools: [{ name: 'read', description: 'Read a file', input_schema: { type: 'object' } }],
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Hi' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
            ],
          },
        ],
      }),
    );
    assert.ok(full.input_tokens >= plain.input_tokens + 100 + imageTokens + 300);
  });
});

describe('background tasks and warm-up', () => {
  const ask = (text: string) => ({ messages: [{ role: 'user' as const, content: text }] });

  test('detects Claude Code housekeeping prompts', () => {
    assert.equal(detectBackgroundTask(ask('Please write a 5-10 word title for the following conversation:')), 'title');
    assert.equal(detectBackgroundTask(ask('Summarize this coding conversation in under 50 characters.')), 'summary');
    assert.equal(detectBackgroundTask(ask('test connection')), 'probe');
    assert.equal(
      detectBackgroundTask({ system: 'Analyze this message and extract a 2-3 word title', ...ask('fix bug') }),
      'title',
    );
  });

  test('ordinary and long requests are not background tasks', () => {
    assert.equal(detectBackgroundTask(ask('Refactor the parser')), undefined);
    assert.equal(detectBackgroundTask(ask(`Generate a title for ${'x'.repeat(900)}`)), undefined);
    assert.equal(detectBackgroundTask(ask('Warmup')), undefined);
  });

  test('warm-up pings are recognised', () => {
    assert.equal(isWarmupRequest(ask('Warmup')), true);
    assert.equal(isWarmupRequest({ messages: [{ role: 'user', content: [{ type: 'text', text: 'Warmup' }] }] }), true);
    assert.equal(isWarmupRequest(ask('Warm welcome')), false);
  });
});
