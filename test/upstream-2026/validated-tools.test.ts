/**
 * Issue 16, VALIDATED tools: Claude rejects a VALIDATED tool with no required property. The gateway adds the
 * peers' required placeholder for every dialect and takes it out of the calls the model returns.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';
import { type ClientResult, send } from '../reliability/helpers.ts';

const emptySchema = { type: 'object', properties: {} };

type Json = Record<string, unknown>;

/** The schema of the first tool of the last generate call, as the gateway sent it. */
function sentSchema(harness: Harness): Json {
  const body = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1)?.body as
    | { request: { tools: Array<{ functionDeclarations: Json[] }> } }
    | undefined;
  const declaration = body?.request.tools[0]?.functionDeclarations[0] ?? {};
  return (declaration['parametersJsonSchema'] ?? declaration['parameters'] ?? {}) as Json;
}

/** The arguments text of the first tool call of an OpenAI chat answer (stream or not). */
function toolArguments(result: ClientResult, stream: boolean): string {
  if (!stream) {
    const json = result.json as {
      choices: Array<{ message: { tool_calls: Array<{ function: { arguments: string } }> } }>;
    };
    return json.choices[0]!.message.tool_calls[0]!.function.arguments;
  }
  let text = '';
  for (const event of result.events as Array<{
    choices?: Array<{ delta?: { tool_calls?: Array<{ function?: { arguments?: string } }> } }>;
  }>) {
    for (const call of event.choices?.[0]?.delta?.tool_calls ?? []) text += call.function?.arguments ?? '';
  }
  return text;
}

test('OpenAI chat, Claude, a tool without required property: passes VALIDATED and the call comes back without the placeholder', async () => {
  const harness = await startHarness({ accounts: [{ email: 'validated@example.com' }] });
  try {
    assert.equal(harness.fake.control.rules().validatedToolsRequired, true, 'the rule is on by default');
    for (const stream of [false, true]) {
      const result = await send(harness.url, harness.headers, {
        path: '/v1/chat/completions',
        body: {
          model: 'claude-sonnet-4-6',
          stream,
          messages: [{ role: 'user', content: 'please call list_files' }],
          tools: [{ type: 'function', function: { name: 'list_files', parameters: emptySchema } }],
        },
      });
      assert.equal(result.status, 200, result.text);
      const call = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1);
      assert.equal(call?.generation?.functionCallingMode, 'VALIDATED');
      assert.equal(call?.rule, undefined);
      assert.deepEqual(sentSchema(harness)['required'], ['reason']);
      assert.deepEqual(
        JSON.parse(toolArguments(result, stream)),
        {},
        'the placeholder argument never reaches the client',
      );
    }
  } finally {
    await harness.close();
  }
});

test('Anthropic Messages (AUTO) and Gemini models are sent unchanged', async () => {
  const harness = await startHarness({ accounts: [{ email: 'validated-auto@example.com' }] });
  try {
    const anthropic = await send(harness.url, harness.headers, {
      path: '/v1/messages',
      body: {
        model: 'claude-sonnet-4-6',
        max_tokens: 256,
        messages: [{ role: 'user', content: 'please call list_files' }],
        tools: [{ name: 'list_files', input_schema: emptySchema }],
      },
    });
    assert.equal(anthropic.status, 200, anthropic.text);
    assert.equal(sentSchema(harness)['required'], undefined);
    const gemini = await send(harness.url, harness.headers, {
      path: '/v1/chat/completions',
      body: {
        model: 'gemini-3-flash',
        messages: [{ role: 'user', content: 'please call list_files' }],
        tools: [{ type: 'function', function: { name: 'list_files', parameters: emptySchema } }],
      },
    });
    assert.equal(gemini.status, 200, gemini.text);
    assert.equal(sentSchema(harness)['required'], undefined);
  } finally {
    await harness.close();
  }
});
