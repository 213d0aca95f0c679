/**
 * Issue 16, adaptive thinking: Anthropic `thinking: {type: "adaptive"}` with `output_config.effort` reaches Claude
 * as `thinkingLevel` (default high).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHarness } from '../harness/gateway-harness.ts';
import { send } from '../reliability/helpers.ts';

test('adaptive thinking → thinkingLevel for Claude (effort, default high); Gemini gets a level only for an effort', async () => {
  const harness = await startHarness({ accounts: [{ email: 'adaptive@example.com' }] });
  try {
    const cases: Array<[string, string | undefined, string | undefined]> = [
      ['claude-opus-4-6', undefined, 'high'],
      ['claude-opus-4-6', 'low', 'low'],
      ['claude-sonnet-4-6', 'medium', 'medium'],
      ['claude-opus-4-6', 'max', 'high'],
      ['gemini-3-flash', undefined, undefined],
      ['gemini-3-flash', 'low', 'low'],
    ];
    for (const [model, effort, level] of cases) {
      for (const stream of [false, true]) {
        const result = await send(harness.url, harness.headers, {
          path: '/v1/messages',
          body: {
            model,
            stream,
            max_tokens: 4096,
            thinking: { type: 'adaptive' },
            ...(effort === undefined ? {} : { output_config: { effort } }),
            messages: [{ role: 'user', content: 'think about it' }],
          },
        });
        assert.equal(result.status, 200, `${model} ${effort}: ${result.text}`);
        const generation = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1)?.generation;
        assert.equal(generation?.thinkingLevel, level, `${model} effort ${effort}`);
        assert.equal(generation?.includeThoughts, true);
      }
    }
  } finally {
    await harness.close();
  }
});
