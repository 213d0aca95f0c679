/**
 * The Anthropic encoder on recorded upstream traffic: v1internal SSE bytes → SSE reader → upstream decoder →
 * Messages stream encoder. Re-splitting the bytes at random offsets must not change a single frame.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createSignatureStore } from '../../../src/protocols/anthropic/signature-store.ts';
import { createMessagesStreamEncoder } from '../../../src/protocols/anthropic/stream-encoder.ts';
import { decodeChunks, fixtureBytes, fixtureNames, splitAt } from '../canonical/fixture-helpers.ts';

async function encode(chunks: readonly Uint8Array[]): Promise<string[]> {
  const encoder = createMessagesStreamEncoder({
    messageId: 'msg_fixture',
    clientModel: 'claude-sonnet-4-6',
    signatureStore: createSignatureStore({ maxEntries: 100, ttlMs: 60_000, now: () => 0 }),
    sessionKey: 'session',
    accountId: 'account',
    family: 'claude',
  });
  const frames: string[] = [];
  for (const event of await decodeChunks(chunks)) frames.push(...encoder.push(event));
  frames.push(...encoder.end());
  return frames;
}

function eventNames(frames: readonly string[]): string[] {
  return frames.map((frame) => /^event: (\S+)/.exec(frame)?.[1] ?? '?');
}

for (const name of fixtureNames) {
  test(`${name}: a well-formed Anthropic stream, identical however the bytes are split`, async () => {
    const bytes = fixtureBytes(name);
    const whole = await encode([bytes]);
    const names = eventNames(whole);
    assert.equal(names[0], 'message_start');
    assert.ok(
      ['message_stop', 'error'].includes(names.at(-1) ?? ''),
      `ends with message_stop or error: ${names.join(',')}`,
    );
    for (const frame of whole) {
      const data = /\ndata: (.*)\n\n$/s.exec(frame)?.[1];
      assert.ok(data, `frame has data: ${frame}`);
      assert.equal((JSON.parse(data) as { type: string }).type, /^event: (\S+)/.exec(frame)?.[1]);
    }
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: Math.max(1, bytes.length - 1) }), { maxLength: 40 }),
        async (offsets) => {
          assert.deepEqual(await encode(splitAt(bytes, offsets)), whole);
        },
      ),
      { numRuns: 60 },
    );
  });
}

test('thinking-signature: the signature reaches the client as signature_delta before the thinking block stops', async () => {
  const frames = await encode([fixtureBytes('thinking-signature')]);
  const signatureIndex = frames.findIndex((frame) => frame.includes('"signature_delta"'));
  const stopIndex = frames.findIndex(
    (frame, index) => index > signatureIndex && frame.startsWith('event: content_block_stop'),
  );
  assert.ok(signatureIndex > 0 && stopIndex > signatureIndex);
});

test('truncated-no-finish: the client sees an error, not a fake end_turn', async () => {
  const names = eventNames(await encode([fixtureBytes('truncated-no-finish')]));
  assert.equal(names.at(-1), 'error');
  assert.ok(!names.includes('message_stop'));
});

test('message_start already carries the prompt size when the first upstream chunk reports usage', async () => {
  const frames = await encode([fixtureBytes('thinking-signature')]);
  const start = JSON.parse(frames[0]?.split('\n')[1]?.slice(6) ?? '{}') as {
    message: { usage: { input_tokens: number } };
  };
  assert.equal(start.message.usage.input_tokens, 120);
});
