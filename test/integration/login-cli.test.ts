/**
 * Issue 4: `agw accounts login` end to end, as a separate process against the fake Google's authorization page:
 * the browser path (loopback callback) and `--no-browser` (the redirect URL pasted on stdin), including a pasted
 * URL with a wrong state.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, type Harness, startHarness } from '../harness/gateway-harness.ts';
import { type RunningCli, startCli } from '../support/run-cli.ts';
import { admin } from './helpers.ts';

interface RunningLogin extends RunningCli {
  /** The authorization URL the CLI printed. */
  url: Promise<string>;
}

function startLogin(harness: Harness, extra: string[], timeoutSeconds = 20): RunningLogin {
  const login = startCli(
    ['--data-dir', harness.dataDir, 'accounts', 'login', '--timeout', String(timeoutSeconds), ...extra],
    { env: harness.environment },
  );
  const url = eventually(
    () => /^(http:\/\/127\.0\.0\.1:\d+\/o\/oauth2\/v2\/auth\?\S+)$/m.exec(login.output().stdout)?.[1],
    10_000,
    'the authorization URL on stdout',
  );
  return { ...login, url };
}

async function withLoginHarness(run: (harness: Harness) => Promise<void>): Promise<void> {
  const harness = await startHarness();
  harness.fake.control.addAccount({ email: 'login@example.com', refreshToken: '1//login-existing-token' });
  harness.fake.control.setLoginAccount('login@example.com');
  try {
    await run(harness);
  } finally {
    await harness.close();
  }
}

test('agw accounts login: the browser follows the authorization page to the loopback callback; the account is stored and served', async () => {
  await withLoginHarness(async (harness) => {
    const login = startLogin(harness, []);
    try {
      const url = await login.url;
      assert.match(url, /code_challenge_method=S256/);
      assert.match(url, /[?&]state=/);
      // The "browser": follows the 302 to http://127.0.0.1:<port>/oauth-callback?code=…&state=…
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Signed in/);
      assert.equal(await login.exit, 0, JSON.stringify(login.output()));
      assert.match(login.output().stdout, /login@example\.com: added/);
      const stored = await harness.store.get('login@example.com');
      assert.match(stored.token.refresh_token, /^1\/\/fake-refresh-/, 'the refresh token from the code exchange');
      const exchange = harness.fake.control
        .calls({ endpoint: 'token' })
        .find((call) => (call.body as Record<string, unknown>)['grant_type'] === 'authorization_code');
      assert.ok(exchange, 'the code was exchanged');
      assert.equal(typeof (exchange.body as Record<string, unknown>)['code_verifier'], 'string', 'with PKCE');
      // The running gateway sees the new account through the data directory.
      await eventually(async () => {
        const { accounts } = await admin<{ accounts: Array<{ email: string; state: string }> }>(
          harness.url,
          harness.headers,
          '/api/accounts',
        );
        return accounts.find((account) => account.email === 'login@example.com' && account.state === 'active');
      });
    } finally {
      if (login.child.exitCode === null) login.child.kill('SIGTERM');
      await login.exit;
    }
  });
});

test('agw accounts login --no-browser: the pasted redirect URL completes the sign-in', async () => {
  await withLoginHarness(async (harness) => {
    const login = startLogin(harness, ['--no-browser']);
    try {
      const redirect = await fetch(await login.url, { redirect: 'manual' });
      assert.equal(redirect.status, 302);
      const location = redirect.headers.get('location')!;
      assert.match(location, /^http:\/\/127\.0\.0\.1:\d+\/oauth-callback\?/);
      login.child.stdin.end(`${location}\n`);
      assert.equal(await login.exit, 0, JSON.stringify(login.output()));
      assert.match(login.output().stdout, /login@example\.com: added/);
      assert.equal((await harness.store.get('login@example.com')).email, 'login@example.com');
    } finally {
      if (login.child.exitCode === null) login.child.kill('SIGTERM');
      await login.exit;
    }
  });
});

test('agw accounts login --no-browser: a pasted URL with a wrong state is rejected clearly and nothing is stored', async () => {
  await withLoginHarness(async (harness) => {
    // A long sign-in timeout: the command must end because of the rejection, not because it stopped waiting.
    const login = startLogin(harness, ['--no-browser'], 600);
    try {
      const redirect = await fetch(await login.url, { redirect: 'manual' });
      const location = new URL(redirect.headers.get('location')!);
      location.searchParams.set('state', 'forged-state-from-another-sign-in');
      login.child.stdin.end(`${location.toString()}\n`);
      const code = await Promise.race([
        login.exit,
        new Promise<string>((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000).unref()),
      ]);
      const { stdout, stderr } = login.output();
      assert.equal(typeof code, 'number', `the command ended on the rejection (${String(code)})`);
      assert.notEqual(code, 0);
      assert.match(stderr, /state mismatch/);
      assert.match(stderr, /AGW_OAUTH_STATE_MISMATCH/);
      assert.doesNotMatch(stdout, /added/);
      const { accounts } = await harness.store.list();
      assert.equal(accounts.length, 0, 'nothing stored');
      const exchanges = harness.fake.control
        .calls({ endpoint: 'token' })
        .filter((call) => (call.body as Record<string, unknown>)['grant_type'] === 'authorization_code');
      assert.equal(exchanges.length, 0, 'the code of a forged answer is never exchanged');
    } finally {
      if (login.child.exitCode === null) login.child.kill('SIGTERM');
      await login.exit;
    }
  });
});
