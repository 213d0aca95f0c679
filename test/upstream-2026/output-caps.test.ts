/**
 * Issue 16, output caps: a client limit above the model's cap is lowered to the cap (with a thinking budget that no
 * longer fits), in every dialect, instead of being sent to fail with a 400.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capOutputTokens } from '../../src/protocols/canonical/output-caps.ts';
import { outputLimit } from '../../src/protocols/models.ts';
import { startHarness } from '../harness/gateway-harness.ts';
import { send } from '../reliability/helpers.ts';

test('the caps of today’s models', () => {
  assert.equal(outputLimit('claude-opus-4-6-thinking'), 57_344);
  assert.equal(outputLimit('claude-sonnet-4-6'), 64_000);
  assert.equal(outputLimit('gemini-pro-agent'), 65_535);
  assert.equal(outputLimit('gemini-3.1-pro-low'), 65_535);
  assert.equal(outputLimit('gemini-3-flash'), 65_536);
  const request = {
    contents: [],
    generationConfig: { maxOutputTokens: 64_000, thinkingConfig: { includeThoughts: true, thinkingBudget: 60_000 } },
  };
  assert.deepEqual(capOutputTokens(request, 'claude-opus-4-6-thinking').generationConfig, {
    maxOutputTokens: 57_344,
    thinkingConfig: { includeThoughts: true, thinkingBudget: 57_343 },
  });
  assert.equal(capOutputTokens(request, 'claude-sonnet-4-6'), request, 'within the cap: unchanged');
});

test('with the caps enforced (the default), larger client limits are capped in every dialect and answered', async () => {
  const harness = await startHarness({ accounts: [{ email: 'caps@example.com' }] });
  try {
    assert.equal(harness.fake.control.rules().outputCaps, true, 'the rule is on by default');
    const lastMaxOutput = () =>
      harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1)?.generation?.maxOutputTokens;
    const cases = [
      {
        path: '/v1/messages',
        body: {
          model: 'claude-opus-4-6',
          max_tokens: 64_000,
          thinking: { type: 'enabled', budget_tokens: 60_000 },
          messages: [{ role: 'user', content: 'hi' }],
        },
        cap: 57_344,
      },
      {
        path: '/v1/chat/completions',
        body: { model: 'claude-opus-4-6', max_tokens: 64_000, messages: [{ role: 'user', content: 'hi' }] },
        cap: 57_344,
      },
      {
        path: '/v1/chat/completions',
        body: { model: 'gemini-pro-agent', max_tokens: 65_536, messages: [{ role: 'user', content: 'hi' }] },
        cap: 65_535,
      },
      {
        path: '/v1beta/models/gemini-3.1-pro-low:generateContent',
        body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 100_000 } },
        cap: 65_535,
      },
    ];
    for (const { path, body, cap } of cases) {
      const result = await send(harness.url, harness.headers, { path, body });
      assert.equal(result.status, 200, `${path} ${result.text}`);
      assert.equal(lastMaxOutput(), cap, path);
    }
  } finally {
    await harness.close();
  }
});
