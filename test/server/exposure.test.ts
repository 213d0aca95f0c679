/**
 * `auto` authentication follows the addresses the server really holds, serving beyond loopback with
 * authentication off needs an explicit opt-in, and the start-up line names what is bound.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { resolveAuthMode } from '../../src/config/gateway-config.ts';
import { GatewayError } from '../../src/errors/catalogue.ts';
import { createFakeGoogle } from '../../src/fake-google/index.ts';
import { bindingFromConfiguredHost, describeBinding, isLoopbackAddress } from '../../src/server/bind-address.ts';
import { startHarness } from '../harness/gateway-harness.ts';

describe('bound addresses', () => {
  test('loopback addresses, IPv4 and IPv6', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) {
      assert.equal(isLoopbackAddress(address), true, address);
    }
    for (const address of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', 'fe80::1', '::ffff:10.0.0.1', 'localhost']) {
      assert.equal(isLoopbackAddress(address), false, address);
    }
  });

  test('a binding is loopback-only when every address is loopback', () => {
    assert.equal(describeBinding(['127.0.0.1', '::1']).loopbackOnly, true);
    assert.equal(describeBinding(['127.0.0.1', '192.168.1.5']).loopbackOnly, false);
    assert.equal(describeBinding(['0.0.0.0'], { interfaceAddresses: () => [] }).loopbackOnly, false);
    assert.equal(describeBinding(['::'], { interfaceAddresses: () => [] }).loopbackOnly, false);
    assert.equal(bindingFromConfiguredHost('localhost').loopbackOnly, true);
    assert.equal(bindingFromConfiguredHost('gateway.example').loopbackOnly, false, 'a name may resolve anywhere');
  });

  test('auto: open on loopback only, the key everywhere else; explicit modes are kept', () => {
    assert.equal(resolveAuthMode('auto', true), 'off');
    assert.equal(resolveAuthMode('auto', false), 'all_except_health');
    for (const mode of ['off', 'strict', 'all_except_health'] as const) {
      assert.equal(resolveAuthMode(mode, true), mode);
      assert.equal(resolveAuthMode(mode, false), mode);
    }
  });
});

describe('serving beyond loopback', () => {
  test('--host 0.0.0.0 with auth auto requires the key, and the start-up line says 0.0.0.0', async () => {
    const harness = await startHarness({
      accounts: [{ email: 'first@example.com' }],
      settings: { 'agw.host': '0.0.0.0', 'proxy.auth_mode': 'auto' },
    });
    try {
      assert.match(harness.gateway.listening, /^http:\/\/0\.0\.0\.0:\d+ \(every IPv4 interface\)$/);
      assert.match(harness.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'local clients reach it through loopback');
      const line = harness.logLines.find((entry) => /listening on/.test(entry.message));
      assert.match(line?.message ?? '', /listening on http:\/\/0\.0\.0\.0:/);
      const anonymous = await fetch(`${harness.url}/v1/models`);
      assert.equal(anonymous.status, 401, 'bound to every interface, auto needs the key');
      assert.equal((await fetch(`${harness.url}/v1/models`, { headers: harness.headers })).status, 200);
      assert.equal((await fetch(`${harness.url}/healthz`)).status, 200, 'health stays open');
    } finally {
      await harness.close();
    }
  });

  test('auth off beyond loopback is refused unless allowed explicitly, and then warned about', async () => {
    const fake = await createFakeGoogle({ port: 0 });
    after(() => fake.close());
    await assert.rejects(
      startHarness({ fake, settings: { 'agw.host': '0.0.0.0', 'proxy.auth_mode': 'off' } }),
      (error: unknown) =>
        GatewayError.is(error) &&
        error.code === 'AGW_CONFIG_INVALID' &&
        /--allow-unauthenticated-lan/.test(error.message),
    );
    const harness = await startHarness({
      settings: { 'agw.host': '0.0.0.0', 'proxy.auth_mode': 'off', 'agw.allow_unauthenticated_lan': true },
    });
    try {
      assert.match(harness.gateway.warning ?? '', /WARNING: serving .*0\.0\.0\.0.* with authentication OFF/);
      assert.ok(harness.logLines.some((entry) => entry.level === 'warn' && /authentication OFF/.test(entry.message)));
      assert.equal((await fetch(`${harness.url}/v1/models`)).status, 200, 'explicitly open');
    } finally {
      await harness.close();
    }
  });

  test('bound to loopback, auto stays open for clients and the admin API still needs its password', async () => {
    const harness = await startHarness({ settings: { 'proxy.auth_mode': 'auto', 'proxy.admin_password': 'pw-1' } });
    try {
      assert.equal((await fetch(`${harness.url}/v1/models`)).status, 200);
      assert.equal((await fetch(`${harness.url}/api/accounts`)).status, 401);
      const status = await fetch(`${harness.url}/api/status`, { headers: { authorization: 'Bearer pw-1' } });
      assert.equal(((await status.json()) as { effective_auth_mode: string }).effective_auth_mode, 'off');
    } finally {
      await harness.close();
    }
  });
});
