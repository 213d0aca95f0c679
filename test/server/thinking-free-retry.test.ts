/**
 * The thinking-free retry is a relay feature, not an Anthropic one: an OpenAI client talking to a Claude thinking
 * model with earlier tool calls it cannot sign, and a Gemini client replaying a signature Google does not accept,
 * get the same one retry without thinking as Claude Code does — never a second one.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';

let harness: Harness;

before(async () => {
  harness = await startHarness({ accounts: [{ email: 'retry@example.com' }] });
});
after(() => harness.close());

interface UpstreamBody {
  request: {
    contents: Array<{ role: string; parts: Array<Record<string, unknown>> }>;
    generationConfig?: { thinkingConfig?: unknown };
  };
}

function generateCalls(): UpstreamBody[] {
  return harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).map((call) => call.body as UpstreamBody);
}

/** The parts of the answers these tests read (an OpenAI completion or error; a Gemini answer). */
interface ChatAnswer {
  choices: Array<{ message: { content: string } }>;
  error: { type: string };
}

async function post(path: string, body: unknown) {
  const response = await fetch(`${harness.url}${path}`, {
    method: 'POST',
    headers: { ...harness.headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as ChatAnswer };
}

/** Claude's answer to a thinking request whose earlier tool call comes without its thinking block. */
const missingThinking = {
  kind: 'error' as const,
  status: 400,
  message:
    'messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block.',
};

const openAiToolConversation = {
  model: 'claude-sonnet-4-6-thinking',
  tools: [
    {
      type: 'function',
      function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
    },
  ],
  messages: [
    { role: 'user', content: 'call get_weather {"city":"Paris"}' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
  ],
};

test('OpenAI chat, Claude thinking model, unsigned earlier tool calls: one thinking-free retry', async () => {
  harness.fake.control.script({ match: { endpoint: 'streamGenerateContent' }, action: missingThinking });
  const before = generateCalls().length;
  const answer = await post('/v1/chat/completions', openAiToolConversation);
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  assert.match(answer.json.choices[0]?.message.content ?? '', /get_weather returned/);
  const calls = generateCalls().slice(before);
  assert.equal(calls.length, 2, 'one retry');
  assert.notEqual(calls[0]?.request.generationConfig?.thinkingConfig, undefined, 'the first attempt thought');
  assert.equal(calls[1]?.request.generationConfig?.thinkingConfig, undefined, 'the retry does not');

  harness.fake.control.script({ match: { endpoint: 'streamGenerateContent' }, times: 2, action: missingThinking });
  const beforeSecond = generateCalls().length;
  const rejected = await post('/v1/chat/completions', openAiToolConversation);
  assert.equal(rejected.status, 400);
  assert.equal(rejected.headers.get('x-agw-error-code'), 'AGW_UPSTREAM_BAD_REQUEST');
  assert.equal(rejected.json.error.type, 'invalid_request_error');
  assert.equal(generateCalls().length, beforeSecond + 2, 'never a second retry');
  harness.fake.control.clearScripts();
});

test('Gemini native, a replayed signature Google rejects: one retry with the skip sentinel instead', async () => {
  const before = generateCalls().length;
  const answer = await post('/v1beta/models/gemini-3-flash:generateContent', {
    contents: [
      { role: 'user', parts: [{ text: 'call get_weather' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'not-from-google' },
        ],
      },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { result: 'sunny' } } }] },
    ],
    tools: [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'object', properties: {} } }] }],
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  const calls = generateCalls().slice(before);
  assert.equal(calls.length, 2, 'the fake rejected the signature once, then accepted the retry');
  const replayed = (body: UpstreamBody | undefined) => body?.request.contents[1]?.parts[0]?.['thoughtSignature'];
  assert.equal(replayed(calls[0]), 'not-from-google');
  assert.equal(replayed(calls[1]), 'skip_thought_signature_validator');
});
