import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accountSessionId, buildEnvelope, collectEvents } from '../../../src/protocols/canonical/envelope.ts';
import { deriveSessionKey } from '../../../src/protocols/session-key.ts';
import { decodeFixture } from './fixture-helpers.ts';

describe('buildEnvelope', () => {
  test('has the v1internal shape, request id from the session key and a hashed account session id', () => {
    const request = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };
    const envelope = buildEnvelope({
      projectId: 'my-proj-123',
      model: 'claude-sonnet-4-6',
      request,
      requestType: 'agent',
      sessionKey: 'sid-1a2b3c4d5e6f7a8b',
      messageCount: 4,
      accountId: 'account-1',
    });
    assert.deepEqual(Object.keys(envelope), ['project', 'requestId', 'request', 'model', 'userAgent', 'requestType']);
    assert.equal(envelope.requestId, 'agent/antigravity/sid-1a2b/4');
    assert.equal(envelope.userAgent, 'antigravity');
    assert.equal(envelope.request.sessionId, accountSessionId('account-1'));
    assert.equal(Object.hasOwn(request, 'sessionId'), false, 'input not mutated');
  });

  test('keeps an existing sessionId and sets none without an account', () => {
    const base = { projectId: 'p', model: 'm', requestType: 'agent', sessionKey: 's', messageCount: 1 };
    assert.equal(
      buildEnvelope({ ...base, request: { contents: [], sessionId: 'keep' }, accountId: 'a' }).request.sessionId,
      'keep',
    );
    assert.equal(buildEnvelope({ ...base, request: { contents: [] } }).request.sessionId, undefined);
  });

  test('image models always go out as image_gen, other models with the type asked for', () => {
    const base = { projectId: 'p', request: { contents: [] }, requestType: 'agent', sessionKey: 's', messageCount: 1 };
    assert.equal(buildEnvelope({ ...base, model: 'gemini-3.1-flash-image' }).requestType, 'image_gen');
    assert.equal(buildEnvelope({ ...base, model: 'gemini-3-pro-image' }).requestType, 'image_gen');
    assert.equal(buildEnvelope({ ...base, model: 'gemini-3-flash' }).requestType, 'agent');
  });

  test('FNV hash: multiply-then-xor, 64-bit wrapping, signed', () => {
    assert.equal(accountSessionId(''), BigInt.asIntN(64, 0xcbf29ce484222325n).toString());
    assert.equal(accountSessionId(''), '-3750763034362895579');
    const one = BigInt.asIntN(64, BigInt.asUintN(64, 0xcbf29ce484222325n * 1099511628211n) ^ 97n).toString();
    assert.equal(accountSessionId('a'), one);
    assert.notEqual(accountSessionId('a'), accountSessionId('b'));
  });
});

describe('collectEvents', () => {
  test('aggregates thinking, signature, text, usage and finish', async () => {
    const message = collectEvents(await decodeFixture('thinking-signature'));
    assert.equal(message.id, 'req_vrtx_abc');
    assert.equal(message.thinking, 'Let me think');
    assert.deepEqual(message.signatures, ['RXFRQkNrZ0lCaEFCR0FJaVE']);
    assert.deepEqual(message.blocks, [
      { type: 'thinking', text: 'Let me think', signature: 'RXFRQkNrZ0lCaEFCR0FJaVE' },
      { type: 'text', text: 'Hello!' },
    ]);
    assert.equal(message.usage?.outputTokens, 20);
    assert.deepEqual(message.finish, { reason: 'stop', rawReason: 'STOP' });
  });

  test('keeps tool calls in order and records errors', async () => {
    const message = collectEvents(await decodeFixture('tool-call'));
    assert.deepEqual(
      message.toolCalls.map((call) => call.name),
      ['get_weather', 'get_time'],
    );
    assert.equal(message.toolCalls[0]?.signature, 'Cq8Csig');
    assert.equal(collectEvents(await decodeFixture('truncated-no-finish')).error?.code, 'AGW_UPSTREAM_STREAM_BROKEN');
  });
});

describe('deriveSessionKey', () => {
  test('explicit wins, else sid- plus 16 hex of the first distinctive text', () => {
    assert.equal(deriveSessionKey({ explicit: 'abc', texts: ['x'] }), 'abc');
    const key = deriveSessionKey({
      texts: ['hi', '<system-reminder>long reminder</system-reminder>', 'Write a parser please'],
    });
    assert.match(key, /^sid-[0-9a-f]{16}$/);
    assert.equal(key, deriveSessionKey({ explicit: '  ', texts: ['Write a parser please'] }));
    assert.notEqual(key, deriveSessionKey({ texts: ['Write a lexer please'] }));
    assert.match(deriveSessionKey({ texts: [] }), /^sid-[0-9a-f]{16}$/);
  });
});
