import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseMessagesRequest } from '../../../src/protocols/anthropic/request-schema.ts';
import { toCanonicalRequest } from '../../../src/protocols/anthropic/request-translator.ts';
import { buildMessagesResponse } from '../../../src/protocols/anthropic/response-builder.ts';
import type { SignatureStore } from '../../../src/protocols/anthropic/signature-store.ts';
import { skipSignatureSentinel } from '../../../src/protocols/canonical/safety.ts';
import {
  createSignatureRetryGuard,
  isSignatureError,
  withoutThinking,
} from '../../../src/protocols/canonical/thinking-free-retry.ts';
import type { CanonicalEvent, GeminiPart } from '../../../src/protocols/canonical/types.ts';
import { newStore } from './helpers.ts';

const signature = 'EqQBCkgIBhABGAIiQsignature-turn-one-0123456789abcdefghijklmnop';
const thinking = { type: 'enabled', budget_tokens: 2048 };
const firstUser = { role: 'user', content: 'What is 2+2?' };

/** Turn 1: the upstream answers with signed thinking; the encoder remembers the signature. */
function answerTurnOne(store: SignatureStore, model: string, family: 'claude' | 'gemini') {
  const turnOne = toCanonicalRequest(
    parseMessagesRequest({ model, max_tokens: 4096, thinking, messages: [firstUser] }),
    { customMapping: {}, signatureStore: store },
  );
  const events: CanonicalEvent[] = [
    { type: 'thinking-delta', text: 'Adding.' },
    { type: 'thinking-signature', signature },
    { type: 'text-delta', text: '4' },
    { type: 'finish', reason: 'stop', rawReason: 'STOP' },
  ];
  return buildMessagesResponse(events, {
    messageId: 'msg_1',
    clientModel: model,
    signatureStore: store,
    sessionKey: turnOne.sessionKey,
    accountId: 'account-1',
    family,
  });
}

function turnTwo(store: SignatureStore, model: string, assistantContent: unknown[], accountId?: string) {
  const body = {
    model,
    max_tokens: 4096,
    thinking,
    messages: [firstUser, { role: 'assistant', content: assistantContent }, { role: 'user', content: 'And 3+3?' }],
  };
  return toCanonicalRequest(parseMessagesRequest(body), {
    customMapping: {},
    signatureStore: store,
    ...(accountId === undefined ? {} : { accountId }),
  });
}

describe('thinking signatures across turns', () => {
  test('the signature issued in turn 1 is sent back in turn 2 for the same family, untouched by any cleaner', () => {
    const store = newStore();
    const answer = answerTurnOne(store, 'claude-sonnet-4-5', 'claude');
    assert.deepEqual(answer.content[0], { type: 'thinking', thinking: 'Adding.', signature });
    const result = turnTwo(store, 'claude-sonnet-4-5', answer.content);
    assert.deepEqual(result.request.contents[1], {
      role: 'model',
      parts: [{ text: 'Adding.', thought: true, thoughtSignature: signature }, { text: '4' }],
    });
    assert.equal(result.thinkingEnabled, true);
  });

  test('the signature is stripped (thinking dropped) when the conversation moves to another family', () => {
    const store = newStore();
    const answer = answerTurnOne(store, 'claude-sonnet-4-5', 'claude');
    const result = turnTwo(store, 'gemini-3-pro', answer.content);
    assert.deepEqual(result.request.contents[1], { role: 'model', parts: [{ text: '4' }] });
    assert.equal(JSON.stringify(result.request).includes(signature), false);
  });

  test('a signature from another account is not sent when the account is known', () => {
    const store = newStore();
    const answer = answerTurnOne(store, 'claude-sonnet-4-5', 'claude');
    const sameAccount = turnTwo(store, 'claude-sonnet-4-5', answer.content, 'account-1');
    const otherAccount = turnTwo(store, 'claude-sonnet-4-5', answer.content, 'account-2');
    assert.equal(JSON.stringify(sameAccount.request).includes(signature), true);
    assert.equal(JSON.stringify(otherAccount.request).includes(signature), false);
  });

  test('unsigned and unknown-signature thinking blocks are dropped, never forged', () => {
    const store = newStore();
    const result = turnTwo(store, 'claude-sonnet-4-5', [
      { type: 'thinking', thinking: 'no signature' },
      { type: 'thinking', thinking: 'made-up signature', signature: 'x'.repeat(80) },
      { type: 'text', text: '4' },
    ]);
    assert.deepEqual(result.request.contents[1], { role: 'model', parts: [{ text: '4' }] });
  });
});

describe('function-call signatures', () => {
  const toolTurn = (model: string, store: SignatureStore, assistantContent: unknown[]) =>
    toCanonicalRequest(
      parseMessagesRequest({
        model,
        max_tokens: 4096,
        thinking,
        tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
        messages: [
          firstUser,
          { role: 'assistant', content: assistantContent },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }] },
        ],
      }),
      { customMapping: {}, signatureStore: store },
    );
  const call = { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } };
  const callPart = (contents: { parts: GeminiPart[] }[]) =>
    contents[1]?.parts.find((part) => part.functionCall !== undefined);

  test('Gemini calls without a known signature get the sentinel', () => {
    const result = toolTurn('gemini-3-pro', newStore(), [call]);
    assert.equal(callPart(result.request.contents)?.thoughtSignature, skipSignatureSentinel);
  });

  test('Gemini calls get the signature recorded for that tool call id', () => {
    const store = newStore();
    const session = toolTurn('gemini-3-pro', store, [call]).sessionKey;
    store.remember(session, 'account-1', 'gemini', 'gemini-call-signature', 'toolu_1');
    assert.equal(
      callPart(toolTurn('gemini-3-pro', store, [call]).request.contents)?.thoughtSignature,
      'gemini-call-signature',
    );
  });

  test('Claude calls never get the sentinel; an unsigned Claude tool turn runs without thinking', () => {
    const result = toolTurn('claude-sonnet-4-5', newStore(), [call]);
    const part = callPart(result.request.contents);
    assert.equal(part?.thoughtSignature, undefined);
    assert.equal(JSON.stringify(result.request).includes(skipSignatureSentinel), false);
    assert.equal(result.thinkingEnabled, false);
    assert.equal(result.thinkingDisabledReason, 'unsigned-tool-turn');
    assert.equal(result.request.generationConfig?.thinkingConfig, undefined);
  });

  test('a signed Claude tool turn keeps thinking and ties the call to the thinking signature', () => {
    const store = newStore();
    const session = toolTurn('claude-sonnet-4-5', store, [call]).sessionKey;
    store.remember(session, 'account-1', 'claude', signature);
    const result = toolTurn('claude-sonnet-4-5', store, [
      { type: 'thinking', thinking: 'Use the tool.', signature },
      call,
    ]);
    assert.equal(result.thinkingEnabled, true);
    assert.deepEqual(result.request.contents[1]?.parts, [
      { text: 'Use the tool.', thought: true, thoughtSignature: signature },
      { functionCall: { name: 'get_weather', args: { city: 'Paris' }, id: 'toolu_1' }, thoughtSignature: signature },
    ]);
  });
});

describe('signature-error retry', () => {
  const upstreamBody =
    '{"error":{"code":400,"message":"messages.1.content.0: Invalid `signature` in `thinking` block"}}';

  test('isSignatureError recognises signature rejections only on 400', () => {
    assert.equal(isSignatureError(400, upstreamBody), true);
    assert.equal(isSignatureError(400, 'Corrupted thought signature.'), true);
    assert.equal(isSignatureError(400, 'Function call is missing a thought_signature'), true);
    assert.equal(isSignatureError(400, 'max_tokens too large'), false);
    assert.equal(isSignatureError(429, upstreamBody), false);
  });

  test('withoutThinking removes thought parts, signatures and thinkingConfig, keeping the sentinel for Gemini calls', () => {
    const store = newStore();
    const answer = answerTurnOne(store, 'gemini-3-pro', 'gemini');
    const request = turnTwo(store, 'gemini-3-pro', [
      ...answer.content,
      { type: 'tool_use', id: 'toolu_9', name: 'x', input: {} },
    ]);
    assert.equal(JSON.stringify(request.request).includes(signature), true);
    const stripped = withoutThinking(request);
    assert.equal(JSON.stringify(stripped.request).includes(signature), false);
    assert.equal(JSON.stringify(stripped.request).includes('"thought":true'), false);
    assert.equal(stripped.request.generationConfig?.thinkingConfig, undefined);
    assert.equal(stripped.thinkingEnabled, false);
    const callPart = stripped.request.contents[1]?.parts.find((part) => part.functionCall !== undefined);
    assert.equal(callPart?.thoughtSignature, skipSignatureSentinel);
    assert.equal(JSON.stringify(request.request).includes(signature), true, 'the original is not modified');
  });

  test('the guard hands out exactly one retry per client request', () => {
    const store = newStore();
    const answer = answerTurnOne(store, 'claude-sonnet-4-5', 'claude');
    const request = turnTwo(store, 'claude-sonnet-4-5', answer.content);
    const guard = createSignatureRetryGuard();
    assert.equal(guard.retryFor(request, 400, 'unrelated'), undefined);
    assert.equal(guard.retried, false);
    const retry = guard.retryFor(request, 400, upstreamBody);
    assert.ok(retry !== undefined);
    assert.equal(retry.thinkingEnabled, false);
    assert.equal(guard.retried, true);
    assert.equal(guard.retryFor(retry, 400, upstreamBody), undefined);
    assert.equal(guard.retryFor(request, 400, upstreamBody), undefined);
  });
});
