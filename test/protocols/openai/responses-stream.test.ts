import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors/catalogue.ts';
import type { CanonicalEvent } from '../../../src/protocols/canonical/types.ts';
import { decodeCompaction } from '../../../src/protocols/openai/responses-compaction.ts';
import { decodeReasoning } from '../../../src/protocols/openai/responses-reasoning.ts';
import { buildCompactionResponse, buildResponsesResponse } from '../../../src/protocols/openai/responses-response.ts';
import { createResponsesStreamEncoder } from '../../../src/protocols/openai/responses-stream.ts';
import { decodeFixture, fixtureNames } from '../canonical/fixture-helpers.ts';
import { goldenOptions, grammarProblem, parseEvents } from './responses-helpers.ts';

function golden(name: string): string {
  return readFileSync(new URL(`../../fixtures/upstream/responses/${name}.stream.txt`, import.meta.url), 'utf8');
}

function encode(events: readonly CanonicalEvent[], options = goldenOptions): string {
  const encoder = createResponsesStreamEncoder(options);
  return [...events.flatMap((event) => encoder.push(event)), ...encoder.end()].join('');
}

const start: CanonicalEvent = { type: 'message-start', id: 'x', model: 'm' };
const usage: CanonicalEvent = {
  type: 'usage',
  usage: { inputTokens: 10, outputTokens: 5, thoughtTokens: 2, cachedTokens: 1, totalTokens: 15 },
};
const stop: CanonicalEvent = { type: 'finish', reason: 'stop', rawReason: 'STOP' };

describe('Responses stream encoder goldens', () => {
  for (const name of fixtureNames) {
    test(`${name} → typed Responses events`, async () => {
      const text = encode(await decodeFixture(name));
      assert.equal(text, golden(name));
      assert.equal(grammarProblem(parseEvents(text)), undefined);
    });
  }
});

describe('Responses stream encoder', () => {
  test('thinking becomes a reasoning item whose encrypted_content carries the signature and the family', () => {
    const events = parseEvents(
      encode([
        start,
        { type: 'thinking-delta', text: 'Hmm' },
        { type: 'thinking-signature', signature: 'sig-1' },
        { type: 'text-delta', text: 'Hi' },
        stop,
      ]),
    );
    const reasoning = events.find(
      (event) =>
        event.event === 'response.output_item.done' && (event.data['item'] as { type: string }).type === 'reasoning',
    )?.data['item'] as { encrypted_content: string; summary: Array<{ text: string }> };
    assert.equal(reasoning.summary[0]?.text, 'Hmm');
    assert.deepEqual(decodeReasoning(reasoning.encrypted_content), { family: 'claude', signature: 'sig-1' });
  });

  test('custom tools get custom_tool_call items with the raw input; namespaced functions name their namespace', () => {
    const events = parseEvents(
      encode(
        [
          start,
          { type: 'tool-call', index: 0, id: 'call_1', name: 'apply_patch', arguments: { input: '*** Begin Patch' } },
          { type: 'tool-call', index: 1, id: 'call_2', name: 'spawn_agent', arguments: { message: 'go' } },
          { type: 'finish', reason: 'tool-calls', rawReason: 'STOP' },
        ],
        {
          ...goldenOptions,
          toolKinds: { apply_patch: { kind: 'custom' }, spawn_agent: { kind: 'function', namespace: 'agents' } },
        },
      ),
    );
    assert.equal(grammarProblem(events), undefined);
    const done = events
      .filter((event) => event.event === 'response.output_item.done')
      .map((event) => event.data['item'] as Record<string, unknown>);
    assert.deepEqual(done[0], {
      id: 'ctc_golden_0',
      type: 'custom_tool_call',
      call_id: 'call_1',
      name: 'apply_patch',
      status: 'completed',
      input: '*** Begin Patch',
    });
    assert.equal(done[1]?.['namespace'], 'agents');
    assert.equal(done[1]?.['arguments'], '{"message":"go"}');
    assert.ok(events.some((event) => event.event === 'response.custom_tool_call_input.delta'));
  });

  test('usage sent after the finish still reaches the terminal event', () => {
    const events = parseEvents(encode([start, { type: 'text-delta', text: 'a' }, stop, usage]));
    const response = events.at(-1)?.data['response'] as { usage: Record<string, unknown> };
    assert.deepEqual(response.usage, {
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 1 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 2 },
      total_tokens: 15,
    });
  });

  test('an in-band error closes the open item as incomplete and fails the response; nothing follows', () => {
    const encoder = createResponsesStreamEncoder(goldenOptions);
    const text = [
      ...encoder.push(start),
      ...encoder.push({ type: 'text-delta', text: 'part' }),
      ...encoder.push({ type: 'error', code: 'AGW_UPSTREAM_TIMEOUT', message: 'slow' }),
      ...encoder.push({ type: 'text-delta', text: 'late' }),
      ...encoder.end(),
    ].join('');
    const events = parseEvents(text);
    assert.equal(grammarProblem(events), undefined);
    assert.equal(events.at(-1)?.event, 'response.failed');
    assert.equal(encoder.response()?.status, 'failed');
    assert.deepEqual(encoder.response()?.error, { code: 'AGW_UPSTREAM_TIMEOUT', message: 'slow' });
    assert.equal(encoder.response()?.output[0]?.['status'], 'incomplete');
  });

  test('a fresh encoder that only sees an error still sends created, in_progress, failed', () => {
    const encoder = createResponsesStreamEncoder(goldenOptions);
    const events = parseEvents(
      [...encoder.push({ type: 'error', code: 'AGW_NO_ACCOUNTS', message: 'none' }), ...encoder.end()].join(''),
    );
    assert.deepEqual(
      events.map((event) => event.event),
      ['response.created', 'response.in_progress', 'response.failed'],
    );
  });

  test('compaction mode answers with exactly one compaction item holding the summary', () => {
    const events = parseEvents(
      encode(
        [
          start,
          { type: 'thinking-delta', text: 'x' },
          { type: 'text-delta', text: 'The ' },
          { type: 'text-delta', text: 'summary' },
          stop,
        ],
        { ...goldenOptions, compaction: true },
      ),
    );
    assert.equal(grammarProblem(events), undefined);
    const items = events
      .filter((event) => event.event === 'response.output_item.done')
      .map((event) => event.data['item'] as { type: string; encrypted_content: string });
    assert.deepEqual(
      items.map((item) => item.type),
      ['compaction'],
    );
    assert.equal(decodeCompaction(items[0]?.encrypted_content ?? ''), 'The summary');
  });
});

describe('non-stream Responses answers', () => {
  test('the response is the one the stream ends with', async () => {
    for (const name of ['text-only', 'thinking-signature', 'tool-call', 'usage-snake', 'safety'] as const) {
      const events = await decodeFixture(name);
      const streamed = parseEvents(encode(events)).at(-1)?.data['response'];
      assert.deepEqual(buildResponsesResponse(events, goldenOptions), streamed, name);
    }
  });

  test('a failed or truncated answer throws instead of answering 200', () => {
    assert.throws(
      () =>
        buildResponsesResponse(
          [start, { type: 'error', code: 'AGW_UPSTREAM_RATE_LIMITED', message: 'x' }],
          goldenOptions,
        ),
      (error: unknown) => GatewayError.is(error) && error.code === 'AGW_UPSTREAM_RATE_LIMITED',
    );
    assert.throws(
      () => buildResponsesResponse([start, { type: 'text-delta', text: 'half' }], goldenOptions),
      (error: unknown) => GatewayError.is(error) && error.code === 'AGW_UPSTREAM_STREAM_BROKEN',
    );
  });

  test('/responses/compact keeps the user messages and appends the compaction item', () => {
    const answer = buildCompactionResponse([start, { type: 'text-delta', text: 'Sum' }, stop], goldenOptions, [
      { role: 'developer', content: 'rules' },
      { type: 'message', role: 'user', content: 'do it' },
      { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
    ]);
    assert.equal(answer.object, 'response.compaction');
    assert.deepEqual(
      answer.output.map((item) => item['type']),
      ['message', 'compaction'],
    );
    assert.equal(decodeCompaction(String(answer.output[1]?.['encrypted_content'])), 'Sum');
  });
});

describe('the grammar check itself', () => {
  const frame = (type: string, sequence: number, payload: Record<string, unknown> = {}): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence, ...payload })}\n\n`;
  const opening = frame('response.created', 0) + frame('response.in_progress', 1);
  const item = { id: 'msg_1', type: 'message' };

  test('accepts a minimal stream and rejects each kind of break', () => {
    assert.equal(grammarProblem(parseEvents(opening + frame('response.completed', 2))), undefined);
    const broken = [
      opening +
        frame('response.output_text.delta', 2, { item_id: 'msg_1', output_index: 0 }) +
        frame('response.completed', 3),
      opening + frame('response.output_item.added', 2, { output_index: 0, item }) + frame('response.completed', 3),
      opening + frame('response.completed', 2) + frame('response.failed', 3),
      opening + frame('response.completed', 5),
      opening,
      frame('response.in_progress', 0) + frame('response.created', 1) + frame('response.completed', 2),
    ];
    for (const text of broken) assert.notEqual(grammarProblem(parseEvents(text)), undefined, text);
  });
});
