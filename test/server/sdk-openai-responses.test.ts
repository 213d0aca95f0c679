/**
 * The official OpenAI SDK's Responses API against agw serve + the fake Google: a plain answer, a streamed one (typed
 * events, through the SDK's own stream accumulator), a function-tool round trip, `previous_response_id`, stored
 * responses, compaction, and errors in the OpenAI shape.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';

let harness: Harness;
let client: OpenAI;

before(async () => {
  harness = await startHarness({ accounts: [{ email: 'one@example.com' }, { email: 'two@example.com' }] });
  client = new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: harness.apiKey, maxRetries: 0 });
});
after(() => harness.close());

interface UpstreamBody {
  requestType: string;
  request: {
    contents: Array<{ role: string; parts: Array<Record<string, unknown>> }>;
    systemInstruction?: { parts: Array<{ text: string }> };
    tools?: unknown[];
    generationConfig?: Record<string, unknown>;
  };
}

function lastUpstream(): UpstreamBody {
  return harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1)?.body as UpstreamBody;
}

const weatherTool: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

test('plain answer: output text, usage, instructions as the system instruction', async () => {
  const response = await client.responses.create({
    model: 'gemini-3-flash',
    instructions: 'Be brief.',
    input: 'Hello there',
  });
  assert.equal(response.object, 'response');
  assert.equal(response.status, 'completed');
  assert.match(response.id, /^resp_/);
  assert.match(response.output_text, /Echo: Hello there/);
  assert.ok((response.usage?.input_tokens ?? 0) > 0);
  assert.ok((response.usage?.output_tokens ?? 0) > 0);
  assert.equal(
    response.usage?.total_tokens,
    (response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0),
  );
  const upstream = lastUpstream();
  assert.equal(upstream.requestType, 'agent');
  assert.equal(upstream.request.systemInstruction?.parts[0]?.text, 'Be brief.');
});

test('streamed answer: typed events in order through the SDK accumulator, deltas add up to the text', async () => {
  const stream = client.responses.stream({ model: 'gemini-3-flash', input: 'Stream this please' });
  const types: string[] = [];
  const sequence: number[] = [];
  let text = '';
  for await (const event of stream) {
    types.push(event.type);
    sequence.push(event.sequence_number);
    if (event.type === 'response.output_text.delta') text += event.delta;
  }
  const final = await stream.finalResponse();
  assert.match(text, /Echo: Stream this please/);
  assert.equal(final.output_text, text);
  assert.equal(final.status, 'completed');
  assert.deepEqual(types.slice(0, 2), ['response.created', 'response.in_progress']);
  assert.equal(types.at(-1), 'response.completed');
  assert.ok(types.filter((type) => type === 'response.output_text.delta').length >= 2, 'several text deltas');
  for (const name of [
    'response.output_item.added',
    'response.content_part.added',
    'response.output_text.done',
    'response.content_part.done',
    'response.output_item.done',
  ]) {
    assert.ok(types.includes(name), `${name} was sent`);
  }
  assert.deepEqual(
    sequence,
    sequence.map((_, index) => index),
    'sequence numbers count up from 0',
  );
  assert.ok((final.usage?.output_tokens ?? 0) > 0);
});

test('a thinking model streams its reasoning as a reasoning item with a summary', async () => {
  const stream = await client.responses.create({
    model: 'gemini-3-flash',
    input: 'Think about rivers',
    reasoning: { effort: 'low' },
    stream: true,
  });
  let reasoning = '';
  let reasoningItem: OpenAI.Responses.ResponseReasoningItem | undefined;
  for await (const event of stream) {
    if (event.type === 'response.reasoning_summary_text.delta') reasoning += event.delta;
    if (event.type === 'response.output_item.done' && event.item.type === 'reasoning') reasoningItem = event.item;
  }
  assert.match(reasoning, /Thinking about: Think about rivers/);
  assert.equal(reasoningItem?.summary[0]?.text, reasoning);
  assert.deepEqual(lastUpstream().request.generationConfig?.['thinkingConfig'], {
    includeThoughts: true,
    thinkingBudget: 1024,
  });
});

test('function-tool round trip, the second turn through previous_response_id', async () => {
  const first = await client.responses.create({
    model: 'gemini-3-flash',
    input: 'Please call get_weather {"city":"Paris"}',
    tools: [weatherTool],
  });
  const call = first.output.find((item) => item.type === 'function_call');
  assert.ok(call && call.type === 'function_call');
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });

  const second = await client.responses.create({
    model: 'gemini-3-flash',
    previous_response_id: first.id,
    input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temperature":21}' }],
    tools: [weatherTool],
  });
  assert.match(second.output_text, /Tool get_weather returned: .*21/);
  assert.equal(second.previous_response_id, first.id);
  const parts = lastUpstream().request.contents.flatMap((content) => content.parts);
  assert.ok(
    parts.some((part) => typeof part['text'] === 'string' && part['text'].includes('call get_weather')),
    'the stored user turn went back upstream',
  );
  assert.ok(
    parts.some((part) => 'functionCall' in part),
    'with the stored function call',
  );
  assert.ok(
    parts.some((part) => 'functionResponse' in part),
    'and its result',
  );
});

test('the same round trip with the whole history sent back, streamed', async () => {
  const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Please call get_weather {"city":"Rome"}' }];
  const first = client.responses.stream({ model: 'gemini-3-flash', input, tools: [weatherTool], store: false });
  const firstResponse = await first.finalResponse();
  const call = firstResponse.output.find((item) => item.type === 'function_call');
  assert.ok(call && call.type === 'function_call');
  assert.deepEqual(JSON.parse(call.arguments), { city: 'Rome' });
  const second = await client.responses.create({
    model: 'gemini-3-flash',
    input: [
      ...input,
      // What a client sends back is the output as it came (the SDK's input type is narrower than its output type).
      ...(firstResponse.output as OpenAI.Responses.ResponseInput),
      { type: 'function_call_output', call_id: call.call_id, output: 'sunny' },
    ],
    tools: [weatherTool],
    store: false,
  });
  assert.match(second.output_text, /Tool get_weather returned: .*sunny/);
});

test('Claude thinking: the reasoning item brings its signature back, so the tool turn keeps thinking on', async () => {
  const model = 'claude-opus-4-6-thinking';
  const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Please call get_weather {"city":"Oslo"}' }];
  const first = await client.responses.create({ model, input, tools: [weatherTool], store: false });
  const reasoning = first.output.find((item) => item.type === 'reasoning');
  const call = first.output.find((item) => item.type === 'function_call');
  assert.ok(reasoning?.type === 'reasoning' && typeof reasoning.encrypted_content === 'string');
  assert.ok(call && call.type === 'function_call');
  const second = await client.responses.create({
    model,
    input: [
      ...input,
      ...(first.output as OpenAI.Responses.ResponseInput),
      { type: 'function_call_output', call_id: call.call_id, output: 'snow' },
    ],
    tools: [weatherTool],
    store: false,
  });
  assert.match(second.output_text, /Tool get_weather returned: .*snow/);
  const upstream = lastUpstream();
  assert.ok(upstream.request.generationConfig?.['thinkingConfig'], 'thinking stayed on');
  const replayed = upstream.request.contents[1]?.parts[0];
  assert.equal(replayed?.['thought'], true);
  assert.ok(
    reasoning.encrypted_content.endsWith(String(replayed?.['thoughtSignature'])),
    'the signature Google issued',
  );
});

test('stored responses: GET returns it, DELETE removes it, store: false keeps nothing', async () => {
  const stored = await client.responses.create({ model: 'gemini-3-flash', input: 'Remember this one' });
  const fetched = await client.responses.retrieve(stored.id);
  assert.equal(fetched.id, stored.id);
  assert.match(fetched.output_text, /Echo: Remember this one/);
  await client.responses.delete(stored.id);
  await assert.rejects(
    () => client.responses.retrieve(stored.id),
    (error: unknown) => error instanceof OpenAI.NotFoundError,
  );
  const unstored = await client.responses.create({ model: 'gemini-3-flash', input: 'Forget me', store: false });
  await assert.rejects(
    () => client.responses.create({ model: 'gemini-3-flash', previous_response_id: unstored.id, input: 'and then?' }),
    (error: unknown) =>
      error instanceof OpenAI.NotFoundError &&
      (error.error as { type?: string } | undefined)?.type === 'not_found_error' &&
      /previous_response_id/.test(error.message),
  );
});

test('a follow-up naming only previous_response_id inherits the model', async () => {
  const first = await client.responses.create({ model: 'gemini-3-flash', input: 'First question here' });
  const response = await fetch(`${harness.url}/v1/responses`, {
    method: 'POST',
    headers: { ...harness.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ previous_response_id: first.id, input: 'Second question here' }),
  });
  assert.equal(response.status, 200);
  const body = (await response.json()) as {
    model: string;
    output: Array<{ type: string; content?: Array<{ text: string }> }>;
  };
  assert.equal(body.model, 'gemini-3-flash');
  const message = body.output.find((item) => item.type === 'message');
  assert.match(message?.content?.[0]?.text ?? '', /Echo: Second question here/);
  assert.deepEqual(
    lastUpstream().request.contents.map((content) => content.role),
    ['user', 'model', 'user'],
    'the stored turn and its answer came first',
  );
});

test('JSON schema output through text.format', async () => {
  const response = await client.responses.create({
    model: 'gemini-3-flash',
    input: 'Give me a person',
    text: {
      format: {
        type: 'json_schema',
        name: 'person',
        schema: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } } },
      },
    },
  });
  assert.deepEqual(JSON.parse(response.output_text), { name: 'example', age: 1 });
});

test('compaction: a compaction_trigger turn answers with one compaction item that later expands upstream', async () => {
  const response = await fetch(`${harness.url}/v1/responses`, {
    method: 'POST',
    headers: { ...harness.headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gemini-3-flash',
      input: [{ role: 'user', content: 'We discussed rivers at length' }, { type: 'compaction_trigger' }],
      store: false,
    }),
  });
  const body = (await response.json()) as { output: Array<{ type: string; encrypted_content?: string }> };
  assert.deepEqual(
    body.output.map((item) => item.type),
    ['compaction'],
  );
  assert.ok(body.output[0]?.encrypted_content);
  const lastTurn = lastUpstream().request.contents.at(-1)?.parts.at(-1)?.['text'];
  assert.match(String(lastTurn), /about to be compacted/);

  await client.responses.create({
    model: 'gemini-3-flash',
    input: [
      { type: 'compaction', encrypted_content: body.output[0]!.encrypted_content! } as never,
      { role: 'user', content: 'Continue please' },
    ],
    store: false,
  });
  const first = lastUpstream().request.contents[0]?.parts[0]?.['text'];
  assert.match(String(first), /^Summary of the earlier part of this conversation/);
});

test('POST /v1/responses/compact keeps the user messages and adds the summary', async () => {
  const response = await fetch(`${harness.url}/v1/responses/compact`, {
    method: 'POST',
    headers: { ...harness.headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gemini-3-flash',
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Plan the trip' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Sure.' }] },
      ],
    }),
  });
  assert.equal(response.status, 200);
  const body = (await response.json()) as {
    object: string;
    output: Array<{ type: string; role?: string; encrypted_content?: string }>;
  };
  assert.equal(body.object, 'response.compaction');
  assert.deepEqual(
    body.output.map((item) => `${item.type}:${item.role ?? ''}`),
    ['message:user', 'compaction:'],
  );
});

test('errors reach the SDK as typed OpenAI errors: 401, 400 and 404', async () => {
  const wrongKey = new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
  await assert.rejects(
    () => wrongKey.responses.create({ model: 'gemini-3-flash', input: 'x' }),
    (error: unknown) => error instanceof OpenAI.AuthenticationError,
  );
  await assert.rejects(
    () => client.responses.create({ model: 'gemini-3-flash', input: [{ type: 'item_reference', id: 'x' }] }),
    (error: unknown) => error instanceof OpenAI.BadRequestError && /unsupported input item type/.test(error.message),
  );
  await assert.rejects(
    () => client.responses.retrieve('resp_missing'),
    (error: unknown) => error instanceof OpenAI.NotFoundError,
  );
});

test('requests are logged like every other generation route', async () => {
  await client.responses.create({ model: 'gemini-3-flash', input: 'Log me' });
  const rows = harness.gateway.services.requestLog.query({ limit: 50 });
  const row = rows.find((candidate) => candidate.route === '/v1/responses' && candidate.status === 200);
  assert.ok(row, 'a request-log row for /v1/responses');
  assert.equal(row.protocol, 'openai');
  assert.equal(row.clientModel, 'gemini-3-flash');
  assert.ok((row.outputTokens ?? 0) > 0);
});
