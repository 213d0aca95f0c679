/**
 * Issue 16, prompt filter: Google answers some system-prompt texts 429 (or 503) without any quota reason. Such an
 * answer must not cool down healthy accounts one by one; the optional rewrite of the known trigger phrases lets
 * the request through.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePromptRewriteRules, rewriteSystemPrompt } from '../../src/protocols/canonical/prompt-rewrite.ts';
import { startHarness } from '../harness/gateway-harness.ts';
import { send } from '../reliability/helpers.ts';

const identity = "You are a Claude agent, built on Anthropic's Claude Agent SDK.";
const emails = ['filter-a@example.com', 'filter-b@example.com', 'filter-c@example.com'];

function claudeCall(system: string, text: string) {
  return {
    path: '/v1/messages',
    body: { model: 'claude-sonnet-4-6', max_tokens: 256, system, messages: [{ role: 'user', content: text }] },
  };
}

test('rules: `find => replacement` rewrites, a bare phrase is removed, only the system instruction changes', () => {
  const rules = parsePromptRewriteRules(['A => B', 'gone', '   ']);
  assert.deepEqual(rules, [
    { find: 'A', replace: 'B' },
    { find: 'gone', replace: '' },
  ]);
  const request = {
    contents: [{ role: 'user', parts: [{ text: 'A gone' }] }],
    systemInstruction: { parts: [{ text: 'A and gone.' }] },
  };
  const rewritten = rewriteSystemPrompt(request, rules);
  assert.equal(rewritten.systemInstruction?.parts[0]?.text, 'B and .');
  assert.equal(rewritten.contents, request.contents);
  const untouched = { contents: [], systemInstruction: { parts: [{ text: 'nothing' }] } };
  assert.equal(rewriteSystemPrompt(untouched, rules), untouched);
});

for (const status of [429, 503] as const) {
  test(`a ${status} without quota reason cools no account: the next request is served at once`, async () => {
    const harness = await startHarness({ accounts: emails.map((email) => ({ email })) });
    try {
      harness.fake.control.setRules({ promptFilter: { enabled: true, status } });
      const filtered = await send(harness.url, harness.headers, claudeCall(identity, 'hello'));
      // A bare 429 can only be the filter; a bare 503 may as well be an outage, so it ends as a server error.
      if (status === 429) {
        assert.equal(filtered.status, 429, filtered.text);
        assert.equal(filtered.headers.get('x-agw-error-code'), 'AGW_UPSTREAM_PROMPT_FILTERED');
      } else {
        assert.ok(filtered.status === 502 || filtered.status === 503, filtered.text);
        assert.match(filtered.text, /AGW_UPSTREAM_SERVER_ERROR/);
      }
      assert.match(filtered.text, /prompt_rewrite/);
      const refused = harness.fake.control
        .calls({ endpoint: 'streamGenerateContent' })
        .filter((call) => call.rule === 'prompt-filter');
      assert.ok(refused.length >= 1);
      for (let index = 0; index < 3; index++) {
        const fine = await send(harness.url, harness.headers, claudeCall('Be brief.', `hello ${index}`));
        assert.equal(fine.status, 200, `no account was cooled down: ${fine.text}`);
      }
    } finally {
      await harness.close();
    }
  });
}

test('with agw.prompt_rewrite on, the trigger phrase is reworded and the request goes through', async () => {
  const harness = await startHarness({
    accounts: [{ email: 'rewrite@example.com' }],
    settings: { 'agw.prompt_rewrite': true },
  });
  try {
    harness.fake.control.setRules({ promptFilter: { enabled: true } });
    const result = await send(harness.url, harness.headers, claudeCall(`${identity}\nBe brief.`, 'hello'));
    assert.equal(result.status, 200, result.text);
    const body = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1)?.body as {
      request: { systemInstruction: { parts: Array<{ text?: string }> } };
    };
    const system = body.request.systemInstruction.parts.map((part) => part.text ?? '').join('');
    assert.ok(!system.includes(identity), system);
    assert.ok(system.includes('You are an AI coding agent.'), system);
  } finally {
    await harness.close();
  }
});
