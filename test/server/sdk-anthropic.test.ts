/**
 * The official Anthropic SDK against agw serve + the fake Google: plain and streamed messages, a tool-use round
 * trip, a multi-turn conversation with thinking whose signatures come back valid, count_tokens, errors, the
 * signature-error retry (once) and the background-task downgrade.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';

let harness: Harness;
let client: Anthropic;

before(async () => {
  harness = await startHarness({ accounts: [{ email: 'claude@example.com' }] });
  client = new Anthropic({ baseURL: harness.url, apiKey: harness.apiKey, maxRetries: 0 });
});
after(() => harness.close());

function lastUpstreamRequest(): {
  model: string;
  request: { contents: Array<{ role: string; parts: Array<Record<string, unknown>> }> };
} {
  return harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1)?.body as never;
}

test('plain message', async () => {
  const message = await client.messages.create({
    model: 'claude-sonnet-4-6',
    max_tokens: 256,
    messages: [{ role: 'user', content: 'Hello Claude' }],
  });
  assert.equal(message.type, 'message');
  assert.equal(message.role, 'assistant');
  const text = message.content.find((block) => block.type === 'text');
  assert.ok(text && text.type === 'text');
  assert.match(text.text, /Echo: Hello Claude/);
  assert.equal(message.stop_reason, 'end_turn');
  assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0);
});

test('streamed message: the full event sequence', async () => {
  const stream = client.messages.stream({
    model: 'claude-sonnet-4-6',
    max_tokens: 256,
    messages: [{ role: 'user', content: 'Stream please' }],
  });
  const types: string[] = [];
  for await (const event of stream) types.push(event.type);
  const final = await stream.finalMessage();
  assert.equal(types[0], 'message_start');
  assert.ok(
    types.includes('content_block_start') &&
      types.includes('content_block_delta') &&
      types.includes('content_block_stop'),
  );
  assert.equal(types.at(-2), 'message_delta');
  assert.equal(types.at(-1), 'message_stop');
  assert.match(JSON.stringify(final.content), /Echo: Stream please/);
});

test('tool-use round trip', async () => {
  const tools: Anthropic.Tool[] = [
    {
      name: 'read_file',
      description: 'Reads a file',
      input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
    },
  ];
  const first = await client.messages.create({
    model: 'claude-sonnet-4-6',
    max_tokens: 256,
    tools,
    messages: [{ role: 'user', content: 'call read_file {"path":"README.md"}' }],
  });
  assert.equal(first.stop_reason, 'tool_use');
  const use = first.content.find((block) => block.type === 'tool_use');
  assert.ok(use && use.type === 'tool_use');
  assert.deepEqual(use.input, { path: 'README.md' });
  const second = await client.messages.create({
    model: 'claude-sonnet-4-6',
    max_tokens: 256,
    tools,
    messages: [
      { role: 'user', content: 'call read_file {"path":"README.md"}' },
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '# agw' }] },
    ],
  });
  assert.match(JSON.stringify(second.content), /read_file returned/);
});

test('multi-turn thinking: the signature issued in turn 1 comes back valid in turn 2', async () => {
  const model = 'claude-opus-4-6-thinking';
  const first = await client.messages.create({
    model,
    max_tokens: 4096,
    thinking: { type: 'enabled', budget_tokens: 1024 },
    messages: [{ role: 'user', content: 'Think about gateways' }],
  });
  const thinking = first.content.find((block) => block.type === 'thinking');
  assert.ok(thinking && thinking.type === 'thinking', JSON.stringify(first.content));
  assert.ok(thinking.signature.length > 20, 'the non-stream answer keeps the signature');
  const second = await client.messages.create({
    model,
    max_tokens: 4096,
    thinking: { type: 'enabled', budget_tokens: 1024 },
    messages: [
      { role: 'user', content: 'Think about gateways' },
      { role: 'assistant', content: first.content },
      { role: 'user', content: 'And now?' },
    ],
  });
  assert.equal(second.type, 'message', 'the fake accepted the signature (a forged one is a 400)');
  const sent = lastUpstreamRequest().request.contents.flatMap((content) => content.parts);
  assert.ok(
    sent.some((part) => part['thought'] === true && part['thoughtSignature'] === thinking.signature),
    'the turn-1 signature travelled upstream with its thinking',
  );
});

test('count_tokens gives a real estimate', async () => {
  const counted = await client.messages.countTokens({
    model: 'claude-sonnet-4-6',
    messages: [{ role: 'user', content: 'How many tokens are in this sentence, roughly?' }],
  });
  assert.ok(counted.input_tokens > 5);
});

test('a signature rejection is retried once without thinking, and only once', async () => {
  const rejection = { kind: 'error' as const, status: 400, message: 'Invalid `signature` in `thinking` block' };
  harness.fake.control.script({ match: { endpoint: 'streamGenerateContent' }, times: 1, action: rejection });
  const before = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).length;
  const recovered = await client.messages.create({
    model: 'claude-sonnet-4-6',
    max_tokens: 128,
    messages: [{ role: 'user', content: 'retry me' }],
  });
  assert.equal(recovered.type, 'message');
  assert.equal(harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).length, before + 2, 'one retry');

  harness.fake.control.script({ match: { endpoint: 'streamGenerateContent' }, times: 2, action: rejection });
  const beforeSecond = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).length;
  await assert.rejects(
    () =>
      client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 128,
        messages: [{ role: 'user', content: 'retry me again' }],
      }),
    (error: unknown) => error instanceof Anthropic.BadRequestError,
  );
  assert.equal(
    harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).length,
    beforeSecond + 2,
    'never a second retry',
  );
  harness.fake.control.clearScripts();
});

test('a streamed request (as Claude Code sends) also gets the one retry after a signature rejection', async () => {
  harness.fake.control.script({
    match: { endpoint: 'streamGenerateContent' },
    times: 1,
    action: { kind: 'error', status: 400, message: 'Invalid `signature` in `thinking` block' },
  });
  const before = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).length;
  const stream = client.messages.stream({
    model: 'claude-sonnet-4-6',
    max_tokens: 128,
    messages: [{ role: 'user', content: 'stream retry' }],
  });
  const final = await stream.finalMessage();
  assert.match(JSON.stringify(final.content), /Echo: stream retry/);
  assert.equal(
    harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).length,
    before + 2,
    'exactly one retry',
  );
  harness.fake.control.clearScripts();
});

test("Claude Code's title requests go to the background model, visible in X-Mapped-Model", async () => {
  const response = await fetch(`${harness.url}/v1/messages`, {
    method: 'POST',
    headers: { ...harness.headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [
        { role: 'user', content: 'Please write a 5-10 word title for the following conversation: fixing the build' },
      ],
    }),
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-mapped-model'), 'gemini-3.1-flash-lite');
  assert.equal(lastUpstreamRequest().model, 'gemini-3.1-flash-lite');
});

test('errors reach the SDK typed, in the Anthropic shape', async () => {
  const wrong = new Anthropic({ baseURL: harness.url, apiKey: 'sk-wrong', maxRetries: 0 });
  await assert.rejects(
    () =>
      wrong.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }),
    (error: unknown) => error instanceof Anthropic.AuthenticationError,
  );
  await assert.rejects(
    () =>
      client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 8,
        messages: [{ role: 'robot' as 'user', content: 'x' }],
      }),
    (error: unknown) => error instanceof Anthropic.BadRequestError,
  );
});
