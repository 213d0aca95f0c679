/**
 * Issue 16, VALIDATED tools: Claude rejects a VALIDATED tool with no required property. The gateway adds the
 * peers' required placeholder for every dialect and takes it out of the calls the model returns.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHarness } from '../harness/gateway-harness.ts';
import { send } from '../reliability/helpers.ts';

const emptySchema = { type: 'object', properties: {} };

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
      const sent = (call?.body as { request: { tools: Array<{ functionDeclarations: Array<Record<string, any>> }> } })
        .request.tools[0]!.functionDeclarations[0]!;
      const schema = sent['parametersJsonSchema'] ?? sent['parameters'];
      assert.deepEqual(schema.required, ['reason']);
      const argumentsText = stream
        ? result.events
            .flatMap((event: any) => event.choices?.[0]?.delta?.tool_calls ?? [])
            .map((toolCall: any) => toolCall.function?.arguments ?? '')
            .join('')
        : (result.json as any).choices[0].message.tool_calls[0].function.arguments;
      assert.deepEqual(JSON.parse(argumentsText), {}, 'the placeholder argument never reaches the client');
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
    const sent = (harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1)?.body as any).request
      .tools[0].functionDeclarations[0];
    assert.equal((sent.parametersJsonSchema ?? sent.parameters).required, undefined);
    const gemini = await send(harness.url, harness.headers, {
      path: '/v1/chat/completions',
      body: {
        model: 'gemini-3-flash',
        messages: [{ role: 'user', content: 'please call list_files' }],
        tools: [{ type: 'function', function: { name: 'list_files', parameters: emptySchema } }],
      },
    });
    assert.equal(gemini.status, 200, gemini.text);
    const geminiSent = (harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1)?.body as any).request
      .tools[0].functionDeclarations[0];
    assert.equal((geminiSent.parametersJsonSchema ?? geminiSent.parameters).required, undefined);
  } finally {
    await harness.close();
  }
});
