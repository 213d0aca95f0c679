import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type ErrorCode, errorCatalogue } from '../../../src/errors/catalogue.ts';
import { createMessagesStreamEncoder } from '../../../src/protocols/anthropic/stream-encoder.ts';
import type { CanonicalEvent } from '../../../src/protocols/canonical/types.ts';
import { goldenOptions, parseSse } from './helpers.ts';

const usage = fc.record({
  inputTokens: fc.nat(1000),
  outputTokens: fc.nat(1000),
  thoughtTokens: fc.nat(1000),
  cachedTokens: fc.nat(1000),
  totalTokens: fc.nat(3000),
});

const event: fc.Arbitrary<CanonicalEvent> = fc.oneof(
  fc.record({ type: fc.constant('message-start' as const), id: fc.string(), model: fc.string() }),
  fc.record({
    type: fc.constant('block-start' as const),
    index: fc.nat(20),
    kind: fc.constantFrom('thinking' as const, 'text' as const),
  }),
  fc.record({ type: fc.constant('block-end' as const), index: fc.nat(20) }),
  fc.record({ type: fc.constant('thinking-delta' as const), text: fc.string() }),
  fc.record({ type: fc.constant('thinking-signature' as const), signature: fc.string() }),
  fc.record({ type: fc.constant('text-delta' as const), text: fc.string() }),
  fc.record({
    type: fc.constant('tool-call' as const),
    index: fc.nat(20),
    id: fc.string(),
    name: fc.string({ minLength: 1 }),
    arguments: fc.dictionary(fc.string(), fc.jsonValue()),
  }),
  fc.record({
    type: fc.constant('inline-data' as const),
    index: fc.nat(20),
    mimeType: fc.constant('image/png'),
    data: fc.base64String(),
  }),
  fc.record({ type: fc.constant('usage' as const), usage }),
  fc.record({
    type: fc.constant('finish' as const),
    reason: fc.constantFrom('stop', 'max-tokens', 'safety', 'tool-calls', 'error', 'other'),
    rawReason: fc.constantFrom('STOP', 'MAX_TOKENS', 'SAFETY', 'OTHER', 'MALFORMED_FUNCTION_CALL'),
  }),
  fc.record({
    type: fc.constant('error' as const),
    code: fc.constantFrom(...(Object.keys(errorCatalogue) as ErrorCode[])),
    message: fc.string(),
  }),
);

test('any event sequence encodes to a well-formed Anthropic stream', () => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 40 }), (events) => {
      const encoder = createMessagesStreamEncoder(goldenOptions('text'));
      const text = [...events.flatMap((item) => encoder.push(item)), ...encoder.end()].join('');
      const frames = parseSse(text);
      assert.equal(frames[0]?.event, 'message_start');
      assert.equal(frames.filter((frame) => frame.event === 'message_start').length, 1);
      const last = frames.at(-1)?.event;
      assert.ok(last === 'message_stop' || last === 'error', `last event was ${last}`);
      assert.ok(frames.filter((frame) => frame.event === 'message_delta').length <= 1);
      let open: number | undefined;
      let nextIndex = 0;
      for (const frame of frames) {
        assert.equal(frame.data['type'], frame.event);
        const index = frame.data['index'];
        if (frame.event === 'content_block_start') {
          assert.equal(open, undefined, 'a block starts while another is open');
          assert.equal(index, nextIndex, 'block indexes are consecutive');
          open = nextIndex;
          nextIndex += 1;
        } else if (frame.event === 'content_block_delta') {
          assert.equal(index, open);
        } else if (frame.event === 'content_block_stop') {
          assert.equal(index, open);
          open = undefined;
        } else if (frame.event === 'message_delta' || frame.event === 'message_stop' || frame.event === 'error') {
          assert.equal(open, undefined, `${frame.event} while a block is open`);
        }
      }
      assert.equal(open, undefined);
      if (frames.some((frame) => frame.event === 'message_delta'))
        assert.equal(frames.at(-2)?.event, 'message_delta', 'message_delta comes right before message_stop');
    }),
    { numRuns: 300 },
  );
});
