/**
 * Issue 16, transport: one connection pool per account — no TCP connection to v1internal ever carries two OAuth
 * identities (the fake records the connection of every call and lists the shared ones).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHarness } from '../harness/gateway-harness.ts';
import { clientCall, protocols, send } from '../reliability/helpers.ts';

test('round-robin over three accounts, sequential and concurrent: no v1internal connection carries two accounts', async () => {
  const emails = ['conn-a@example.com', 'conn-b@example.com', 'conn-c@example.com'];
  const harness = await startHarness({
    accounts: emails.map((email) => ({ email })),
    settings: { 'agw.strategy': 'round-robin' },
  });
  try {
    await harness.gateway.services.quota?.refreshNow();
    for (let round = 0; round < 2; round++) {
      for (const protocol of protocols) {
        const result = await send(harness.url, harness.headers, clientCall(protocol, `hello ${round}`, false));
        assert.equal(result.status, 200, result.text);
      }
    }
    const concurrent = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        send(harness.url, harness.headers, clientCall('openai', `together ${index}`, index % 2 === 0)),
      ),
    );
    for (const result of concurrent) assert.equal(result.status, 200, result.text);
    const calls = harness.fake.control.calls({ endpoint: 'streamGenerateContent' });
    assert.equal(new Set(calls.map((call) => call.email)).size, 3, 'every account served');
    assert.ok(
      new Set(calls.map((call) => call.connectionId)).size < calls.length,
      'connections are reused (keep-alive still works within an account)',
    );
    assert.deepEqual(harness.fake.control.sharedConnections(), []);
  } finally {
    await harness.close();
  }
});
