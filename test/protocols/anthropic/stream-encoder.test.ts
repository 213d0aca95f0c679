import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { buildMessagesResponse } from '../../../src/protocols/anthropic/response-builder.ts';
import { createMessagesStreamEncoder } from '../../../src/protocols/anthropic/stream-encoder.ts';
import type { CanonicalEvent } from '../../../src/protocols/canonical/types.ts';
import { fixtureNames, fixturePath, goldenOptions, loadEvents, newStore, parseSse } from './helpers.ts';

function encodeAll(events: readonly CanonicalEvent[], name: string, store = newStore()): string {
  const encoder = createMessagesStreamEncoder(goldenOptions(name, store));
  return [...events.flatMap((event) => encoder.push(event)), ...encoder.end()].join('');
}

function buildOrError(events: readonly CanonicalEvent[], name: string): unknown {
  try {
    return buildMessagesResponse(events, goldenOptions(name));
  } catch (error) {
    const failure = error as { code: string; status: number; message: string };
    return { thrown: { code: failure.code, status: failure.status, message: failure.message } };
  }
}

describe('golden fixtures', () => {
  for (const name of fixtureNames) {
    test(`${name}: SSE frames match the golden file`, () => {
      const expected = readFileSync(fixturePath(`${name}.sse`), 'utf8');
      assert.equal(encodeAll(loadEvents(name), name), expected);
    });

    test(`${name}: non-stream JSON matches the golden file`, () => {
      const expected = JSON.parse(readFileSync(fixturePath(`${name}.response.json`), 'utf8')) as unknown;
      assert.deepEqual(buildOrError(loadEvents(name), name), expected);
    });

    test(`${name}: frames are valid Anthropic SSE (data type equals the event name)`, () => {
      const frames = parseSse(encodeAll(loadEvents(name), name));
      assert.ok(frames.length >= 3);
      for (const frame of frames) assert.equal(frame.data['type'], frame.event);
      assert.equal(frames[0]?.event, 'message_start');
      const last = frames.at(-1)?.event;
      assert.ok(last === 'message_stop' || last === 'error');
      assert.ok(frames.filter((frame) => frame.event === 'message_delta').length <= 1);
    });
  }
});

describe('stream encoder behaviour', () => {
  test('message_start names the client model, not the upstream one, and always carries usage', () => {
    const frames = parseSse(encodeAll(loadEvents('tool-use'), 'tool-use'));
    const message = frames[0]?.data['message'] as Record<string, unknown>;
    assert.equal(message['model'], 'claude-sonnet-4-5');
    assert.deepEqual(Object.keys(message['usage'] as object).sort(), [
      'cache_creation_input_tokens',
      'cache_read_input_tokens',
      'input_tokens',
      'output_tokens',
    ]);
  });

  test('the signature_delta comes right before the thinking block stop and is remembered', () => {
    const store = newStore();
    const frames = parseSse(encodeAll(loadEvents('thinking-signature'), 'thinking-signature', store));
    const signatureAt = frames.findIndex(
      (frame) => (frame.data['delta'] as { type?: string } | undefined)?.type === 'signature_delta',
    );
    assert.equal(frames[signatureAt + 1]?.event, 'content_block_stop');
    assert.equal(frames[signatureAt + 1]?.data['index'], 0);
    const signature = 'EqQBCkgIBhABGAIiQsignature-turn-one-0123456789abcdefghijklmnop';
    assert.equal(store.isKnown('s', 'a', 'claude', signature), true);
    assert.equal(store.isKnown('s', 'a', 'gemini', signature), false);
  });

  test('tool_use blocks carry no signature key; the tool-call signature is remembered by tool id', () => {
    const store = newStore();
    const frames = parseSse(encodeAll(loadEvents('tool-use'), 'tool-use', store));
    const starts = frames.filter((frame) => frame.event === 'content_block_start');
    for (const start of starts) assert.equal('signature' in (start.data['content_block'] as object), false);
    assert.equal(
      store.forToolCall('s', 'toolu_01', 'gemini'),
      'Cq8Cgemini-tool-signature-0123456789abcdefghijklmnopqrstuvwxyz',
    );
    assert.equal(store.forToolCall('s', 'toolu_02', 'gemini'), undefined);
  });

  test('a signature with no thinking before it becomes a signature-only thinking block', () => {
    const events: CanonicalEvent[] = [
      { type: 'text-delta', text: 'Hi' },
      { type: 'thinking-signature', signature: 'lone-signature' },
      { type: 'finish', reason: 'stop', rawReason: 'STOP' },
    ];
    const frames = parseSse(encodeAll(events, 'text'));
    assert.deepEqual(
      frames.map((frame) => frame.event),
      [
        'message_start',
        'content_block_start',
        'content_block_delta',
        'content_block_stop',
        'content_block_start',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ],
    );
    const response = buildMessagesResponse(events, goldenOptions('text'));
    assert.deepEqual(response.content[1], { type: 'thinking', thinking: '', signature: 'lone-signature' });
  });

  test('a finish with reason error ends with an error event and no end_turn', () => {
    const events: CanonicalEvent[] = [
      { type: 'text-delta', text: 'Hi' },
      { type: 'finish', reason: 'error', rawReason: 'OTHER' },
    ];
    const text = encodeAll(events, 'text');
    const frames = parseSse(text);
    assert.equal(frames.at(-1)?.event, 'error');
    assert.equal(text.includes('end_turn'), false);
    assert.equal(text.includes('message_stop'), false);
  });

  test('an overload error event uses overloaded_error', () => {
    const frames = parseSse(encodeAll([{ type: 'error', code: 'AGW_ALL_ACCOUNTS_LIMITED', message: 'busy' }], 'text'));
    assert.deepEqual(frames.at(-1)?.data, { type: 'error', error: { type: 'overloaded_error', message: 'busy' } });
  });

  test('safety stops are refusals, not end_turn', () => {
    const response = buildMessagesResponse(
      [
        { type: 'text-delta', text: 'x' },
        { type: 'finish', reason: 'safety', rawReason: 'SAFETY' },
      ],
      goldenOptions('text'),
    );
    assert.equal(response.stop_reason, 'refusal');
  });

  test('end() twice gives one message_delta; pushes after the end are ignored', () => {
    const encoder = createMessagesStreamEncoder(goldenOptions('text'));
    const frames = [
      ...encoder.push({ type: 'text-delta', text: 'a' }),
      ...encoder.push({ type: 'finish', reason: 'stop', rawReason: 'STOP' }),
      ...encoder.end(),
      ...encoder.end(),
      ...encoder.push({ type: 'text-delta', text: 'late' }),
    ];
    assert.equal(frames.filter((frame) => frame.startsWith('event: message_delta')).length, 1);
    assert.equal(encoder.done, true);
    assert.equal(frames.join('').includes('late'), false);
  });

  test('ping is an Anthropic ping event', () => {
    const encoder = createMessagesStreamEncoder(goldenOptions('text'));
    assert.deepEqual(parseSse(encoder.ping()), [{ event: 'ping', data: { type: 'ping' } }]);
  });

  test('a message_start event waits for content so the first usage is included', () => {
    const encoder = createMessagesStreamEncoder(goldenOptions('text'));
    assert.deepEqual(encoder.push({ type: 'message-start', id: 'x', model: 'm' }), []);
    assert.deepEqual(
      encoder.push({
        type: 'usage',
        usage: { inputTokens: 7, outputTokens: 0, thoughtTokens: 0, cachedTokens: 0, totalTokens: 7 },
      }),
      [],
    );
    const [first] = parseSse(encoder.push({ type: 'text-delta', text: 'a' }).join(''));
    assert.ok(first !== undefined);
    assert.equal((first.data['message'] as { usage: { input_tokens: number } }).usage.input_tokens, 7);
  });

  test('inline images become markdown data URIs in a text block', () => {
    const response = buildMessagesResponse(
      [
        { type: 'inline-data', index: 0, mimeType: 'image/png', data: 'AAAA' },
        { type: 'finish', reason: 'stop', rawReason: 'STOP' },
      ],
      goldenOptions('text'),
    );
    assert.deepEqual(response.content, [{ type: 'text', text: '![image](data:image/png;base64,AAAA)' }]);
  });

  test('the non-stream builder also remembers signatures', () => {
    const store = newStore();
    buildMessagesResponse(loadEvents('thinking-signature'), goldenOptions('thinking-signature', store));
    assert.equal(store.size(), 1);
  });
});
