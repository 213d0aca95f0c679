/**
 * Issue 16, client identity: Google answers an outdated client with HTTP 200 and a text body. That is an error
 * with its own catalogue code (never a completion, no account rotated or cooled down), and the version and
 * User-Agent agw reports are settings.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHarness } from '../harness/gateway-harness.ts';
import { assertDialectError, clientCall, protocols, send } from '../reliability/helpers.ts';

test('a 200 "no longer supported" text is AGW_UPSTREAM_CLIENT_OUTDATED in every dialect; no rotation, no cooldown', async () => {
  const harness = await startHarness({
    accounts: [{ email: 'version-a@example.com' }, { email: 'version-b@example.com' }],
  });
  try {
    harness.fake.control.setRules({ clientVersion: { minimumSupported: '9.0.0' } });
    for (const protocol of protocols) {
      for (const stream of [false, true]) {
        const before = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).length;
        const result = await send(harness.url, harness.headers, clientCall(protocol, 'hello', stream));
        assert.equal(result.status, 502, `${protocol} ${stream}: ${result.text}`);
        assert.equal(result.headers.get('x-agw-error-code'), 'AGW_UPSTREAM_CLIENT_OUTDATED');
        if (!stream) assert.match(assertDialectError(protocol, result.json), /no longer supported/);
        const calls = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).slice(before);
        assert.equal(calls.length, 1, 'every account would get the same answer: no rotation');
        assert.equal(calls[0]!.rule, 'client-version');
      }
    }
    harness.fake.control.setRules({ clientVersion: { minimumSupported: '1.23.2' } });
    const fine = await send(harness.url, harness.headers, clientCall('openai', 'hello again', false));
    assert.equal(fine.status, 200, 'no account was cooled down');
  } finally {
    await harness.close();
  }
});

test('the reported version and User-Agent are settings (environment)', async () => {
  const harness = await startHarness({
    accounts: [{ email: 'version-setting@example.com' }],
    environment: { AGW_UPSTREAM_CLIENT_VERSION: '9.1.0' },
  });
  try {
    harness.fake.control.setRules({ clientVersion: { minimumSupported: '9.0.0' } });
    const result = await send(harness.url, harness.headers, clientCall('openai', 'hello', false));
    assert.equal(result.status, 200, result.text);
    const call = harness.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1)!;
    assert.equal(call.clientVersion, '9.1.0');
    assert.match(String(call.headers['user-agent']), /^Antigravity\/9\.1\.0 /);
    assert.equal(call.headers['x-client-version'], '9.1.0');
  } finally {
    await harness.close();
  }
  const custom = await startHarness({
    accounts: [{ email: 'agent-setting@example.com' }],
    environment: { AGW_UPSTREAM_USER_AGENT: 'antigravity/9.2.0 linux/amd64' },
  });
  try {
    const result = await send(custom.url, custom.headers, clientCall('anthropic', 'hello', false));
    assert.equal(result.status, 200, result.text);
    const call = custom.fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1)!;
    assert.equal(call.headers['user-agent'], 'antigravity/9.2.0 linux/amd64');
    assert.equal(call.clientVersion, '9.2.0');
  } finally {
    await custom.close();
  }
});
