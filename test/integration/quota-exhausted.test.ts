/**
 * Issue 15: a pool whose accounts are all genuinely out of quota is not a poisoned request. Three accounts answer
 * 429 QUOTA_EXHAUSTED with a 3 h reset minutes after other requests succeeded: the client gets 429 with
 * Retry-After ≈ 3 h in its own dialect (never 400 "rejected by several accounts in a row"), the cooldowns stay, and
 * the next requests make no upstream call at all until the reset.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHarness } from '../harness/gateway-harness.ts';
import { assertDialectError, clientCall, protocols, send } from '../reliability/helpers.ts';

const model = 'gemini-3-flash';
const threeHours = 3 * 3600;

for (const protocol of protocols) {
  test(`${protocol}: every account out of quota → 429 with Retry-After ≈ 3 h, and no upstream call until the reset`, async () => {
    const emails = ['quota-a@example.com', 'quota-b@example.com', 'quota-c@example.com'];
    const harness = await startHarness({ accounts: emails.map((email) => ({ email })) });
    try {
      // Other requests succeed first, so the poison detector is watching.
      for (const [index, stream] of [false, true, false].entries()) {
        const fine = await send(harness.url, harness.headers, clientCall(protocol, `fine ${index}`, stream, model));
        assert.equal(fine.status, 200, fine.text);
      }
      harness.fake.control.advanceClock(180);
      const resetTime = new Date(harness.fake.control.now() + threeHours * 1000).toISOString();
      for (const email of emails) harness.fake.control.setQuota(email, model, 0, resetTime);

      const generateCalls = () => harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).length;
      const before = generateCalls();
      const limited = await send(harness.url, harness.headers, clientCall(protocol, 'one more', false, model));
      assert.equal(limited.status, 429, limited.text);
      assert.notEqual(limited.headers.get('x-agw-error-code'), 'AGW_POISONED_REQUEST');
      assertDialectError(protocol, limited.json);
      const retryAfter = Number(limited.headers.get('retry-after'));
      assert.ok(Math.abs(retryAfter - threeHours) <= 120, `Retry-After about 3 h: ${retryAfter}`);
      assert.equal(generateCalls() - before, emails.length, 'each account asked once');

      const afterFirst = generateCalls();
      for (let index = 0; index < 5; index += 1) {
        const again = await send(
          harness.url,
          harness.headers,
          clientCall(protocol, 'one more', index % 2 === 0, model),
        );
        assert.equal(again.status, 429, again.text);
        assert.equal(again.headers.get('x-agw-error-code'), 'AGW_ALL_ACCOUNTS_LIMITED');
        assertDialectError(protocol, again.json);
        assert.ok(Math.abs(Number(again.headers.get('retry-after')) - threeHours) <= 120);
      }
      assert.equal(generateCalls(), afterFirst, 'no upstream call to an exhausted account');
    } finally {
      await harness.close();
    }
  });
}
