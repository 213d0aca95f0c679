/**
 * Issue 16, endpoint fallback on "no capacity": capacity is per server, so a 429 MODEL_CAPACITY_EXHAUSTED or a 503
 * "no capacity" on one base URL tries the next base URL with the same account before the pool moves on.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFakeGoogle } from '../../src/fake-google/index.ts';
import { startHarness } from '../harness/gateway-harness.ts';
import { clientCall, protocols, send } from '../reliability/helpers.ts';

for (const status of [429, 503] as const) {
  test(`${status} no capacity on the primary base: the same account is served by alt1, no cooldown`, async () => {
    const emails = ['capacity-a@example.com', 'capacity-b@example.com'];
    const fake = await createFakeGoogle({ port: 0 });
    const gateway = await startHarness({
      fake,
      accounts: emails.map((email) => ({ email })),
      environment: {
        AGW_UPSTREAM_ENDPOINTS: [fake.urls.v1internal, fake.urls.v1internalAlt1, fake.urls.v1internalAlt2].join(','),
      },
    });
    try {
      fake.control.script({ match: { base: 'primary' }, times: 'always', action: { kind: 'no-capacity', status } });
      for (const protocol of protocols) {
        const before = fake.control.calls({ endpoint: 'streamGenerateContent' }).length;
        const result = await send(gateway.url, gateway.headers, clientCall(protocol, 'hello', false));
        assert.equal(result.status, 200, result.text);
        const calls = fake.control.calls({ endpoint: 'streamGenerateContent' }).slice(before);
        assert.deepEqual(
          calls.map((call) => call.base),
          ['primary', 'alt1'],
          'the next base before the next account',
        );
        assert.equal(calls[0]!.email, calls[1]!.email, 'the same account');
      }
    } finally {
      await gateway.close();
      await fake.close();
    }
  });
}

test('a quota 429 on the primary base goes back to the pool as it is (no base fallback)', async () => {
  const fake = await createFakeGoogle({ port: 0 });
  const gateway = await startHarness({
    fake,
    accounts: [{ email: 'quota-base@example.com' }],
    environment: { AGW_UPSTREAM_ENDPOINTS: [fake.urls.v1internal, fake.urls.v1internalAlt1].join(',') },
  });
  try {
    fake.control.script({
      match: { base: 'primary', endpoint: 'streamGenerateContent' },
      times: 'always',
      action: { kind: 'error', status: 429, reason: 'QUOTA_EXHAUSTED', quotaResetDelay: '3h0m0s' },
    });
    const result = await send(gateway.url, gateway.headers, clientCall('openai', 'hello', false));
    assert.equal(result.status, 429, result.text);
    const calls = fake.control.calls({ endpoint: 'streamGenerateContent' });
    assert.deepEqual(
      calls.map((call) => call.base),
      ['primary'],
    );
  } finally {
    await gateway.close();
    await fake.close();
  }
});
