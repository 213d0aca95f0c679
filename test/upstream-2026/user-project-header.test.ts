/**
 * Issue 16, 403 and x-goog-user-project: a 403 caused by the header is retried once on the same account without
 * it; only a 403 that survives that retry marks the account forbidden.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, startHarness } from '../harness/gateway-harness.ts';
import { clientCall, protocols, send } from '../reliability/helpers.ts';

for (const mode of ['service-disabled', 'permission-denied'] as const) {
  test(`403 ${mode} for the header: retried once without it on the same account, never forbidden`, async () => {
    const email = `header-${mode}@example.com`;
    const harness = await startHarness({ accounts: [{ email, userProjectHeader: mode }] });
    try {
      for (const protocol of protocols) {
        const before = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).length;
        const result = await send(harness.url, harness.headers, clientCall(protocol, 'hello', false));
        assert.equal(result.status, 200, result.text);
        const calls = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).slice(before);
        assert.equal(calls.length, 2, 'one call with the header, one retry without it');
        assert.equal(calls[0]!.rule, 'user-project-header');
        assert.equal(calls[0]!.outcome, 403);
        assert.ok(calls[0]!.headers['x-goog-user-project']);
        assert.equal(calls[1]!.headers['x-goog-user-project'], undefined);
        assert.equal(calls[1]!.email, email, 'the same account');
      }
      const stored = await harness.store.get(email);
      assert.notEqual(stored.quota?.is_forbidden, true);
      assert.notEqual(stored.proxy_disabled, true);
    } finally {
      await harness.close();
    }
  });
}

test('a 403 that survives the retry without the header marks the account forbidden', async () => {
  const email = 'header-denied@example.com';
  const harness = await startHarness({ accounts: [{ email, userProjectHeader: 'service-disabled' }] });
  try {
    harness.fake.control.script({
      match: { email, endpoint: 'streamGenerateContent' },
      times: 'always',
      action: { kind: 'error', status: 403, reason: 'SERVICE_DISABLED', message: 'API disabled' },
    });
    const result = await send(harness.url, harness.headers, clientCall('openai', 'hello', false));
    assert.notEqual(result.status, 200, result.text);
    const calls = harness.fake.control.calls({ endpoint: 'streamGenerateContent', email });
    assert.equal(calls.length, 2, 'the call and its one retry without the header');
    assert.equal(calls[1]!.headers['x-goog-user-project'], undefined);
    // The mark is written to the store after the answer.
    await eventually(async () => ((await harness.store.get(email)).proxy_disabled === true ? true : undefined));
  } finally {
    await harness.close();
  }
});
