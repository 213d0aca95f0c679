/**
 * The Responses stream grammar as properties: over random canonical event sequences, and over the recorded upstream
 * fixtures re-split at random byte offsets (which must also encode to exactly the recorded golden).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import type { CanonicalEvent } from '../../../src/protocols/canonical/types.ts';
import { createResponsesStreamEncoder } from '../../../src/protocols/openai/responses-stream.ts';
import { decodeChunks, fixtureBytes, fixtureNames, splitAt } from '../canonical/fixture-helpers.ts';
import { goldenOptions, grammarProblem, parseEvents } from './responses-helpers.ts';

const usage = fc.record({
  inputTokens: fc.nat(1000),
  outputTokens: fc.nat(1000),
  thoughtTokens: fc.nat(1000),
  cachedTokens: fc.nat(1000),
  totalTokens: fc.nat(3000),
});

const toolName = fc.constantFrom('get_weather', 'apply_patch', 'spawn_agent', 'unknown_tool');

const event: fc.Arbitrary<CanonicalEvent> = fc.oneof(
  fc.record({ type: fc.constant('message-start' as const), id: fc.string(), model: fc.string() }),
  fc.record({ type: fc.constant('thinking-delta' as const), text: fc.string() }),
  fc.record({ type: fc.constant('thinking-signature' as const), signature: fc.string({ minLength: 1 }) }),
  fc.record({ type: fc.constant('text-delta' as const), text: fc.string() }),
  fc.record({
    type: fc.constant('tool-call' as const),
    index: fc.nat(20),
    id: fc.string(),
    name: toolName,
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
    code: fc.constantFrom('AGW_UPSTREAM_STREAM_BROKEN' as const, 'AGW_UPSTREAM_TIMEOUT' as const),
    message: fc.string(),
  }),
);

const options = fc.record({
  compaction: fc.boolean(),
  family: fc.constantFrom('claude' as const, 'gemini' as const),
});

test('any event sequence encodes to a well-formed Responses stream', () => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 40 }), options, (events, variant) => {
      const encoder = createResponsesStreamEncoder({
        ...goldenOptions,
        ...variant,
        toolKinds: { apply_patch: { kind: 'custom' }, spawn_agent: { kind: 'function', namespace: 'agents' } },
      });
      const text = [...events.flatMap((item) => encoder.push(item)), ...encoder.end()].join('');
      const frames = parseEvents(text);
      assert.equal(grammarProblem(frames), undefined);
      // The terminal event describes exactly the items the stream closed, and the encoder keeps that response.
      const terminal = frames.at(-1)?.data['response'] as { output: unknown[]; status: string };
      const done = frames
        .filter((frame) => frame.event === 'response.output_item.done')
        .map((frame) => frame.data['item']);
      assert.deepEqual(terminal.output, done);
      assert.deepEqual(encoder.response(), terminal);
      assert.equal(`response.${terminal.status}`, frames.at(-1)?.event);
      if (variant.compaction && terminal.status !== 'failed') {
        assert.deepEqual(
          done.map((item) => (item as { type: string }).type),
          ['compaction'],
        );
      }
      assert.deepEqual(encoder.end(), [], 'nothing after the end');
    }),
    { numRuns: 300 },
  );
});

test('recorded upstream fixtures re-split at random offsets encode to the recorded Responses stream', async () => {
  for (const name of fixtureNames) {
    const bytes = fixtureBytes(name);
    const golden = readFileSync(
      new URL(`../../fixtures/upstream/responses/${name}.stream.txt`, import.meta.url),
      'utf8',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(bytes.length), { maxLength: 12 }), async (offsets) => {
        const events = await decodeChunks(splitAt(bytes, offsets));
        const encoder = createResponsesStreamEncoder(goldenOptions);
        const text = [...events.flatMap((item) => encoder.push(item)), ...encoder.end()].join('');
        assert.equal(text, golden, name);
        assert.equal(grammarProblem(parseEvents(text)), undefined, name);
      }),
      { numRuns: 40 },
    );
  }
});
