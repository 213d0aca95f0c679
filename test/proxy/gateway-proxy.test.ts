/**
 * Issue 18 end to end: a real gateway in front of the fake Google, with loopback proxies. Each account's token
 * refresh and generation go through its own proxy only (HTTP CONNECT for one, SOCKS5 for another), an account
 * without a proxy goes direct; the global proxy carries accounts without their own, NO_PROXY exempts a target;
 * a dead proxy cools only its account (clear reason, never a disable) while another account answers; proxy
 * credentials never appear in logs, the admin API or `agw accounts list`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RecordedCall } from '../../src/fake-google/types.ts';
import { eventually, type Harness, startHarness } from '../harness/gateway-harness.ts';
import { admin, chat } from '../integration/helpers.ts';
import { type RecordingProxy, startConnectProxy, startSocksProxy, withCredentials } from '../support/proxy-servers.ts';
import { runCli, startCli } from '../support/run-cli.ts';

const proxyPassword = 'pr0xy-canary-passw0rd';
/** Chat completions reach Google as either generation method. */
const generation = ['generateContent', 'streamGenerateContent'] as const;

async function setOwnProxy(harness: Harness, email: string, url: string | null): Promise<Record<string, unknown>> {
  const account = harness.accounts.get(email)!;
  const response = await fetch(`${harness.url}/api/accounts/${account.id}/outbound-proxy`, {
    method: 'PUT',
    headers: { ...harness.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ url }),
  });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Which proxy each of an account's calls came through: the proxy's name, or `direct`. */
function routesOf(calls: RecordedCall[], email: string, proxies: Record<string, RecordingProxy>): Set<string> {
  const routes = new Set<string>();
  for (const call of calls.filter((recorded) => recorded.email === email)) {
    const name = Object.entries(proxies).find(([, proxy]) => proxy.ports.includes(call.remotePort ?? -1))?.[0];
    routes.add(`${call.endpoint}:${name ?? 'direct'}`);
  }
  return routes;
}

test("each account's refresh and generation go through its own proxy only; one without goes direct", async () => {
  const connectProxy = await startConnectProxy({ requireCredentials: `agw:${proxyPassword}` });
  const socksProxy = await startSocksProxy();
  const harness = await startHarness({
    accounts: [
      { email: 'a@example.com', expired: true },
      { email: 'b@example.com', expired: true },
      { email: 'c@example.com', expired: true },
    ],
    settings: { 'agw.strategy': 'round-robin' },
  });
  try {
    const connectUrl = withCredentials(connectProxy.url, 'agw', proxyPassword);
    const shown = await setOwnProxy(harness, 'a@example.com', connectUrl);
    assert.equal(shown['proxy_url'], `http://[REDACTED]@127.0.0.1:${connectProxy.port}`);
    await setOwnProxy(harness, 'b@example.com', socksProxy.url.replace('socks5:', 'socks5h:'));
    const enrolmentCalls = harness.fake.control.calls().length;

    // Round robin: every account serves (and first refreshes its expired token) within a few requests.
    await eventually(
      async () => {
        const result = await chat(harness.url, harness.headers, 'hello');
        assert.equal(result.status, 200, result.text);
        const served = new Set(
          harness.fake.control
            .calls({ endpoint: [...generation] })
            .slice(0)
            .map((call) => call.email),
        );
        return ['a@example.com', 'b@example.com', 'c@example.com'].every((email) => served.has(email))
          ? true
          : undefined;
      },
      10_000,
      'every account served a request',
    );
    const calls = harness.fake.control.calls().slice(enrolmentCalls);
    const proxies = { connect: connectProxy, socks: socksProxy };
    assert.deepEqual(
      routesOf(calls, 'a@example.com', proxies),
      new Set(['token:connect', 'streamGenerateContent:connect']),
    );
    assert.deepEqual(
      routesOf(calls, 'b@example.com', proxies),
      new Set(['token:socks', 'streamGenerateContent:socks']),
    );
    assert.deepEqual(
      routesOf(calls, 'c@example.com', proxies),
      new Set(['token:direct', 'streamGenerateContent:direct']),
    );
    assert.ok(connectProxy.credentials.every((offered) => offered === `agw:${proxyPassword}`));
    // The quota snapshot calls of an account use its proxy too.
    const quotaStart = harness.fake.control.calls().length;
    const refreshed = await fetch(`${harness.url}/api/quota/refresh`, { method: 'POST', headers: harness.headers });
    assert.equal(refreshed.status, 200, await refreshed.text());
    const quotaCalls = harness.fake.control.calls().slice(quotaStart);
    assert.deepEqual(
      routesOf(quotaCalls, 'a@example.com', proxies),
      new Set(['loadCodeAssist:connect', 'fetchAvailableModels:connect', 'retrieveUserQuotaSummary:connect']),
    );
    assert.deepEqual(
      routesOf(quotaCalls, 'c@example.com', proxies),
      new Set(['loadCodeAssist:direct', 'fetchAvailableModels:direct', 'retrieveUserQuotaSummary:direct']),
    );
    // socks5h: the proxy, not agw, resolved the target name.
    assert.ok(socksProxy.targets.every((target) => target === new URL(harness.config.google.tokenUrl).host));

    // The password is in no output: logs, the admin API, `agw accounts list --json` and `show`.
    const accountsJson = JSON.stringify(await admin(harness.url, harness.headers, '/api/accounts'));
    assert.ok(accountsJson.includes(`http://[REDACTED]@127.0.0.1:${connectProxy.port}`));
    const environment = { ...harness.environment, AGW_DATA_DIR: harness.dataDir };
    const listed = await runCli(['accounts', 'list', '--json'], { env: environment, mustSucceed: true });
    const shownOne = await runCli(['accounts', 'show', 'a@example.com'], { env: environment, mustSucceed: true });
    const outbound = await runCli(['accounts', 'outbound-proxy', 'a@example.com'], {
      env: environment,
      mustSucceed: true,
    });
    assert.match(outbound.stdout, /http:\/\/\[REDACTED\]@127\.0\.0\.1/);
    for (const [where, text] of [
      ['logs', JSON.stringify(harness.logLines)],
      ['admin API', accountsJson],
      ['accounts list', listed.stdout + listed.stderr],
      ['accounts show', shownOne.stdout],
      ['accounts outbound-proxy', outbound.stdout],
    ] as const) {
      assert.ok(!text.includes(proxyPassword), `${where} leaks the proxy password`);
    }
    // The file keeps the URL as given (the reference's other fields untouched), so agw can use it.
    assert.equal((await harness.store.get('a@example.com')).proxy_url, connectUrl);
  } finally {
    await harness.close();
    await Promise.all([connectProxy.close(), socksProxy.close()]);
  }
});

test('the global proxy carries accounts without their own; NO_PROXY exempts the target', async () => {
  const socksProxy = await startSocksProxy();
  const globalUrl = withCredentials(socksProxy.url, 'global', proxyPassword);
  const harness = await startHarness({
    accounts: [{ email: 'g@example.com', expired: true }],
    settings: { 'proxy.upstream_proxy.enabled': true, 'proxy.upstream_proxy.url': globalUrl },
  });
  try {
    // The setting is shown without its password by the admin API and `agw config get`.
    const configJson = JSON.stringify(await admin(harness.url, harness.headers, '/api/config'));
    assert.ok(configJson.includes(`socks5://[REDACTED]@127.0.0.1:${socksProxy.port}`));
    const environment = { ...harness.environment, AGW_DATA_DIR: harness.dataDir };
    const got = await runCli(['config', 'get', 'proxy.upstream_proxy.url'], { env: environment, mustSucceed: true });
    assert.equal(got.stdout.trim(), JSON.stringify(`socks5://[REDACTED]@127.0.0.1:${socksProxy.port}`));
    const all = await runCli(['config', 'get', '--json'], { env: environment, mustSucceed: true });
    assert.ok(!(configJson + got.stdout + all.stdout).includes(proxyPassword));
    assert.ok(socksProxy.credentials.includes(`global:${proxyPassword}`), 'the proxy got the credentials');

    const before = socksProxy.ports.length;
    assert.ok(before > 0, 'the enrolment went through the global proxy too');
    const result = await chat(harness.url, harness.headers, 'hello');
    assert.equal(result.status, 200, result.text);
    const generate = harness.fake.control.calls({ endpoint: [...generation] }).at(-1)!;
    assert.ok(socksProxy.ports.includes(generate.remotePort ?? -1), 'generation went through the global proxy');

    // NO_PROXY (agw.no_proxy) names the fake's host: from now on the proxy sees nothing.
    const response = await fetch(`${harness.url}/api/config`, {
      method: 'PATCH',
      headers: { ...harness.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ changes: { 'agw.no_proxy': ['127.0.0.1'] } }),
    });
    assert.equal(response.status, 200, await response.text());
    const tunnels = socksProxy.ports.length;
    const again = await chat(harness.url, harness.headers, 'hello again');
    assert.equal(again.status, 200, again.text);
    const direct = harness.fake.control.calls({ endpoint: [...generation] }).at(-1)!;
    assert.ok(!socksProxy.ports.includes(direct.remotePort ?? -1), 'generation went direct');
    assert.equal(socksProxy.ports.length, tunnels);
  } finally {
    await harness.close();
    await socksProxy.close();
  }
});

test('a dead proxy cools only its account with a clear reason; another account answers; nothing is disabled', async () => {
  const deadProxy = await startSocksProxy();
  const deadUrl = withCredentials(deadProxy.url, 'agw', proxyPassword);
  await deadProxy.close();
  const harness = await startHarness({
    accounts: [
      { email: 'dead-fresh@example.com' },
      { email: 'dead-expired@example.com', expired: true },
      { email: 'direct@example.com' },
    ],
    settings: { 'agw.strategy': 'round-robin' },
  });
  try {
    await setOwnProxy(harness, 'dead-fresh@example.com', deadUrl);
    await setOwnProxy(harness, 'dead-expired@example.com', deadUrl);
    for (let index = 0; index < 4; index += 1) {
      const result = await chat(harness.url, harness.headers, `hello ${index}`);
      assert.equal(result.status, 200, result.text);
    }
    const served = new Set(harness.fake.control.calls({ endpoint: [...generation] }).map((call) => call.email));
    assert.deepEqual([...served], ['direct@example.com']);

    const { accounts } = await admin<{ accounts: Array<Record<string, unknown>> }>(
      harness.url,
      harness.headers,
      '/api/accounts',
    );
    const label = `socks5://127.0.0.1:${deadProxy.port}`;
    for (const email of ['dead-fresh@example.com', 'dead-expired@example.com']) {
      const view = accounts.find((account) => account['email'] === email)!;
      assert.equal(view['state'], 'cooling', JSON.stringify(view));
      assert.match(String(view['error']), new RegExp(`proxy ${label.replaceAll('.', '\\.')} failed`));
      assert.equal(view['disabled'], false);
      const stored = await harness.store.get(email);
      assert.equal(stored.disabled, false);
      assert.equal(stored.agw_error ?? null, null, 'a dead proxy writes no lasting error into the account');
    }
    assert.ok(!JSON.stringify(accounts).includes(proxyPassword));
    assert.ok(!JSON.stringify(harness.logLines).includes(proxyPassword));

    // A working proxy_url lifts the block at once: the account serves again.
    await setOwnProxy(harness, 'dead-fresh@example.com', null);
    const view = (await admin(
      harness.url,
      harness.headers,
      `/api/accounts/${harness.accounts.get('dead-fresh@example.com')!.id}`,
    )) as Record<string, unknown>;
    assert.equal(view['state'], 'active', JSON.stringify(view));
  } finally {
    await harness.close();
  }
});

test('the outbound-proxy command sets, shows and clears a proxy; bad URLs are refused clearly', async () => {
  const harness = await startHarness({ accounts: [{ email: 'cli@example.com' }] });
  const env = { ...harness.environment, AGW_DATA_DIR: harness.dataDir };
  try {
    const set = await runCli(
      ['accounts', 'outbound-proxy', 'cli@example.com', 'socks5://u:pw-secret-1@10.0.0.2:1080'],
      {
        env,
        mustSucceed: true,
      },
    );
    assert.equal(set.stdout.trim(), 'cli@example.com: outbound proxy socks5://[REDACTED]@10.0.0.2:1080');
    assert.equal((await harness.store.get('cli@example.com')).proxy_url, 'socks5://u:pw-secret-1@10.0.0.2:1080');
    const bad = await runCli(['accounts', 'outbound-proxy', 'cli@example.com', 'ftp://host:21'], { env });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unsupported proxy scheme "ftp"/);
    const cleared = await runCli(['accounts', 'outbound-proxy', 'cli@example.com', '--clear'], {
      env,
      mustSucceed: true,
    });
    assert.match(cleared.stdout, /own proxy cleared/);
    assert.equal((await harness.store.get('cli@example.com')).proxy_url, undefined);

    const refused = await fetch(
      `${harness.url}/api/accounts/${harness.accounts.get('cli@example.com')!.id}/outbound-proxy`,
      {
        method: 'PUT',
        headers: { ...harness.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'gopher://x' }),
      },
    );
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /unsupported proxy scheme/);
  } finally {
    await harness.close();
  }
});

test('agw accounts login --proxy: the code exchange and onboarding go through the proxy, which the account keeps', async () => {
  const socksProxy = await startSocksProxy();
  const harness = await startHarness();
  harness.fake.control.addAccount({ email: 'login-proxy@example.com', refreshToken: '1//login-proxy-existing' });
  harness.fake.control.setLoginAccount('login-proxy@example.com');
  const login = startCli(
    ['--data-dir', harness.dataDir, 'accounts', 'login', '--timeout', '20', '--proxy', socksProxy.url],
    { env: harness.environment },
  );
  try {
    const url = await eventually(
      () => /^(http:\/\/127\.0\.0\.1:\d+\/o\/oauth2\/v2\/auth\?\S+)$/m.exec(login.output().stdout)?.[1],
      30_000,
      'the authorization URL on stdout',
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}: ${JSON.stringify(login.output())}`);
    });
    assert.equal((await fetch(url)).status, 200);
    assert.equal(await login.exit, 0, JSON.stringify(login.output()));
    const calls = harness.fake.control.calls();
    const exchange = calls.find(
      (call) =>
        call.endpoint === 'token' && (call.body as Record<string, unknown>)['grant_type'] === 'authorization_code',
    );
    assert.ok(
      exchange && socksProxy.ports.includes(exchange.remotePort ?? -1),
      'the code exchange went through the proxy',
    );
    const onboarding = calls.filter((call) => call.endpoint === 'loadCodeAssist');
    assert.ok(onboarding.length > 0);
    assert.ok(onboarding.every((call) => socksProxy.ports.includes(call.remotePort ?? -1)));
    assert.equal((await harness.store.get('login-proxy@example.com')).proxy_url, socksProxy.url);
  } finally {
    await login.stop();
    await harness.close();
    await socksProxy.close();
  }
});
