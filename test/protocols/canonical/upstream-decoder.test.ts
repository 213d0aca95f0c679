import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  createUpstreamDecoder,
  isUpstreamErrorBody,
  mapFinishReason,
  readUpstreamError,
  readUsage,
  toolCallId,
} from '../../../src/protocols/canonical/upstream-decoder.ts';
import { decodeChunks, decodeFixture, fixtureBytes, fixtureNames, splitAt } from './fixture-helpers.ts';

function golden(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../fixtures/upstream/${name}.events.json`, import.meta.url), 'utf8'));
}

describe('upstream decoder golden fixtures', () => {
  for (const name of fixtureNames) {
    test(`${name}.sse decodes to its golden events`, async () => {
      assert.deepEqual(await decodeFixture(name), golden(name));
    });
  }

  test('goldens pin the behaviours that matter', async () => {
    const thinking = await decodeFixture('thinking-signature');
    assert.deepEqual(
      thinking.map((event) => event.type),
      [
        'message-start',
        'usage',
        'block-start',
        'thinking-delta',
        'thinking-signature',
        'block-end',
        'usage',
        'block-start',
        'text-delta',
        'block-end',
        'finish',
      ],
    );
    const lastUsage = thinking.filter((event) => event.type === 'usage').at(-1);
    assert.equal(lastUsage?.type === 'usage' && lastUsage.usage.outputTokens, 20, 'thought tokens count as output');
    const truncated = await decodeFixture('truncated-no-finish');
    assert.deepEqual(truncated.at(-1), {
      type: 'error',
      code: 'AGW_UPSTREAM_STREAM_BROKEN',
      message: 'The upstream stream ended without a finish reason; the answer is truncated.',
    });
    assert.equal(truncated.filter((event) => event.type === 'text-delta').length, 2, 'last frame without blank line');
    const tools = await decodeFixture('tool-call');
    assert.equal(tools.filter((event) => event.type === 'tool-call').length, 2, 'repeated identical call deduped');
  });
});

describe('re-splitting fixture bytes', () => {
  test('any split of any fixture gives identical events', async () => {
    const expected = new Map<string, unknown>();
    for (const name of fixtureNames) expected.set(name, await decodeFixture(name));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fixtureNames),
        fc.array(fc.nat({ max: 1200 }), { maxLength: 40 }),
        async (name, offsets) => {
          const events = await decodeChunks(splitAt(fixtureBytes(name), offsets));
          assert.deepEqual(events, expected.get(name));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('byte-by-byte feeding gives identical events', async () => {
    for (const name of fixtureNames) {
      const bytes = fixtureBytes(name);
      const offsets = Array.from({ length: bytes.length }, (_, index) => index);
      assert.deepEqual(await decodeChunks(splitAt(bytes, offsets)), await decodeFixture(name), name);
    }
  });
});

describe('decoder details', () => {
  test('bare and wrapped chunks decode the same', () => {
    const body = {
      candidates: [{ content: { parts: [{ text: 'hi' }] }, finishReason: 'STOP' }],
      modelVersion: 'm',
      responseId: 'r',
    };
    const bare = createUpstreamDecoder().push(body);
    const wrapped = createUpstreamDecoder().push({ response: body, traceId: 'x' });
    assert.deepEqual(bare, wrapped);
    assert.deepEqual(
      bare.map((event) => event.type),
      ['message-start', 'block-start', 'text-delta', 'block-end', 'finish'],
    );
  });

  test('a tool call without id gets a deterministic call_ id', () => {
    assert.equal(toolCallId('f', { a: 1 }), toolCallId('f', { a: 1 }));
    assert.notEqual(toolCallId('f', { a: 1 }), toolCallId('f', { a: 2 }));
    assert.match(toolCallId('f', {}), /^call_[0-9a-f]{24}$/);
  });

  test('finish reasons map to canonical reasons', () => {
    const table: Array<[string, boolean, string]> = [
      ['STOP', false, 'stop'],
      ['STOP', true, 'tool-calls'],
      ['MAX_TOKENS', false, 'max-tokens'],
      ['MAX_TOKENS', true, 'max-tokens'],
      ['SAFETY', false, 'safety'],
      ['RECITATION', false, 'safety'],
      ['BLOCKLIST', false, 'safety'],
      ['PROHIBITED_CONTENT', false, 'safety'],
      ['SPII', true, 'safety'],
      ['MALFORMED_FUNCTION_CALL', false, 'other'],
      ['OTHER', false, 'other'],
    ];
    for (const [raw, tool, expected] of table) assert.equal(mapFinishReason(raw, tool), expected, `${raw}/${tool}`);
  });

  test('a prompt blocked before any candidate finishes as safety', () => {
    const events = createUpstreamDecoder().push({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } });
    assert.deepEqual(events.at(-1), { type: 'finish', reason: 'safety', rawReason: 'PROHIBITED_CONTENT' });
  });

  test('thought part with a signature emits delta then signature; only first finish counts; end is quiet after it', () => {
    const decoder = createUpstreamDecoder();
    const events = decoder.push({
      candidates: [{ content: { parts: [{ text: 'hmm', thought: true, thought_signature: 'SIG' }] } }],
    });
    assert.deepEqual(events.slice(1), [
      { type: 'block-start', index: 0, kind: 'thinking' },
      { type: 'thinking-delta', text: 'hmm' },
      { type: 'thinking-signature', signature: 'SIG' },
      { type: 'block-end', index: 0 },
    ]);
    assert.equal(decoder.push({ candidates: [{ finishReason: 'STOP' }] }).length, 1);
    assert.deepEqual(
      decoder.push({ candidates: [{ content: { parts: [{ text: 'late' }] }, finishReason: 'STOP' }] }),
      [],
    );
    const lateUsage = decoder.push({ usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1 } });
    assert.equal(lateUsage[0]?.type, 'usage');
    assert.deepEqual(decoder.end(), []);
  });

  test('end() before any chunk reports a broken stream', () => {
    const events = createUpstreamDecoder().end();
    assert.equal(events.length, 1);
    assert.equal(events[0]?.type === 'error' && events[0].code, 'AGW_UPSTREAM_STREAM_BROKEN');
  });

  test('inline data becomes an inline-data event', () => {
    const events = createUpstreamDecoder().push({
      candidates: [{ content: { parts: [{ inlineData: { mimeType: 'image/png', data: 'AAAA' } }] } }],
    });
    assert.deepEqual(events[1], { type: 'inline-data', index: 0, mimeType: 'image/png', data: 'AAAA' });
  });

  test('usage variants', () => {
    assert.deepEqual(
      readUsage({
        promptTokenCount: 120,
        candidatesTokenCount: 35,
        thoughtsTokenCount: 25,
        cachedContentTokenCount: 64,
        totalTokenCount: 180,
      }),
      { inputTokens: 120, outputTokens: 60, thoughtTokens: 25, cachedTokens: 64, totalTokens: 180 },
    );
    assert.deepEqual(readUsage({ promptTokenCount: 3, candidatesTokenCount: 4 }), {
      inputTokens: 3,
      outputTokens: 4,
      thoughtTokens: 0,
      cachedTokens: 0,
      totalTokens: 7,
    });
    assert.deepEqual(readUsage({ total_input_tokens: 5, total_output_tokens: 2, total_tool_use_tokens: 1 }), {
      inputTokens: 5,
      outputTokens: 3,
      thoughtTokens: 0,
      cachedTokens: 0,
      totalTokens: 8,
    });
    assert.equal(readUsage('nope'), undefined);
  });
});

describe('error bodies on HTTP 200', () => {
  test('detects JSON and text error bodies and passes real answers', () => {
    assert.equal(isUpstreamErrorBody({ error: { code: 500, message: 'boom', status: 'INTERNAL' } }), true);
    assert.equal(isUpstreamErrorBody('{"error":{"code":503,"message":"x"}}'), true);
    assert.equal(isUpstreamErrorBody([{ error: { code: 400, message: 'bad' } }]), true);
    assert.equal(isUpstreamErrorBody('<html>502 Bad Gateway</html>'), true);
    assert.equal(isUpstreamErrorBody(''), true);
    assert.equal(isUpstreamErrorBody({ response: { candidates: [] } }), false);
    assert.equal(isUpstreamErrorBody('data: {"response":{}}\n\n'), false);
    assert.equal(isUpstreamErrorBody('{"response":{"candidates":[]}}'), false);
    assert.deepEqual(readUpstreamError({ error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' } }), {
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      message: 'slow down',
    });
  });
});

describe('block framing', () => {
  const part = fc.oneof(
    fc.record({ text: fc.string({ minLength: 1, maxLength: 5 }), thought: fc.constant(true) }),
    fc.record({ text: fc.string({ maxLength: 5 }), thought: fc.constant(true), thoughtSignature: fc.constant('SIG') }),
    fc.record({ text: fc.constant(''), thoughtSignature: fc.constant('SIG') }),
    fc.record({ text: fc.string({ minLength: 1, maxLength: 5 }) }),
    fc.record({ functionCall: fc.record({ name: fc.constantFrom('a', 'b'), args: fc.record({ n: fc.nat(3) }) }) }),
    fc.record({ inlineData: fc.record({ mimeType: fc.constant('image/png'), data: fc.constant('AAAA') }) }),
    fc.record({ executableCode: fc.record({ language: fc.constant('PYTHON'), code: fc.constant('1') }) }),
  );
  const chunk = fc.record({
    parts: fc.array(part, { maxLength: 4 }),
    usage: fc.boolean(),
  });

  test('every block starts before its deltas, ends before the next block, finish or error, and indexes count up', () => {
    fc.assert(
      fc.property(
        fc.array(chunk, { maxLength: 8 }),
        fc.constantFrom('finish', 'truncated', 'error'),
        (chunks, ending) => {
          const decoder = createUpstreamDecoder();
          const events = chunks.flatMap((item) =>
            decoder.push({
              response: {
                candidates: [{ content: { role: 'model', parts: item.parts } }],
                ...(item.usage ? { usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 } } : {}),
              },
            }),
          );
          if (ending === 'finish') events.push(...decoder.push({ candidates: [{ finishReason: 'STOP' }] }));
          if (ending === 'error') events.push(...decoder.push({ error: { code: 500, message: 'boom' } }));
          events.push(...decoder.end());

          let open: { index: number; kind: string } | undefined;
          let nextIndex = 0;
          for (const event of events) {
            switch (event.type) {
              case 'block-start':
                assert.equal(open, undefined, 'blocks never interleave');
                assert.equal(event.index, nextIndex);
                open = { index: event.index, kind: event.kind };
                nextIndex += 1;
                break;
              case 'thinking-delta':
              case 'thinking-signature':
                assert.equal(open?.kind, 'thinking', `${event.type} inside a thinking block`);
                break;
              case 'text-delta':
                assert.equal(open?.kind, 'text', 'text inside a text block');
                break;
              case 'block-end':
                assert.equal(event.index, open?.index);
                open = undefined;
                break;
              case 'tool-call':
              case 'inline-data':
                assert.equal(open, undefined, 'a whole block never opens inside another');
                assert.equal(event.index, nextIndex);
                nextIndex += 1;
                break;
              case 'finish':
              case 'error':
                assert.equal(open, undefined, `${event.type} after every block ended`);
                break;
              default:
                break;
            }
          }
          assert.equal(open, undefined);
          const last = events.at(-1)?.type;
          assert.ok(last === 'finish' || last === 'error' || last === 'usage', `ends with ${last}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a signature ends its thinking block, so more thinking after it is a new block', () => {
    const events = createUpstreamDecoder().push({
      candidates: [
        {
          content: {
            parts: [
              { text: 'one', thought: true },
              { text: '', thought: true, thoughtSignature: 'S1' },
              { text: 'two', thought: true },
            ],
          },
        },
      ],
    });
    assert.deepEqual(
      events.filter((event) => event.type === 'block-start' || event.type === 'block-end'),
      [
        { type: 'block-start', index: 0, kind: 'thinking' },
        { type: 'block-end', index: 0 },
        { type: 'block-start', index: 1, kind: 'thinking' },
      ],
    );
  });
});
