import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createGoogleAgent } from '../../src/google/http.ts';
import {
  completeFromPastedRedirect,
  createOAuthFlow,
  type LoopbackLogin,
  startLoopbackLogin,
  verifyCallback,
} from '../../src/google/login-flow.ts';
import { createOAuthClient, pkceChallengeOf } from '../../src/google/oauth.ts';
import { defaultGoogleScopes, type GoogleSettings } from '../../src/google/settings.ts';
import { replying, startServer, type TestServer } from '../support/http-server.ts';
import { rejection } from '../support/rejection.ts';

const agent = createGoogleAgent();
after(() => agent.close());
/** The code exchange of a login against `settings`. */
const oauthFor = (settings: GoogleSettings) => createOAuthClient(settings, { dispatcher: agent });
const servers: TestServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

/**
 * A tiny authorization server: /auth remembers the PKCE challenge and redirects to the redirect URI with a code
 * and the state; /token checks the verifier against the challenge.
 */
async function fakeAuthorizationServer(): Promise<{ settings: GoogleSettings; server: TestServer }> {
  const challenges = new Map<string, string>();
  let issued = 0;
  const server = await startServer(
    replying((call) => {
      const url = new URL(call.path, 'http://x');
      if (url.pathname === '/auth') {
        issued += 1;
        const code = `code-${issued}`;
        challenges.set(code, url.searchParams.get('code_challenge') ?? '');
        const target = new URL(url.searchParams.get('redirect_uri') ?? '');
        target.searchParams.set('code', code);
        target.searchParams.set('state', url.searchParams.get('state') ?? '');
        return { status: 302, headers: { location: target.toString() }, body: '' };
      }
      if (url.pathname === '/token') {
        const form = new URLSearchParams(call.body);
        const expected = challenges.get(form.get('code') ?? '');
        if (!expected || pkceChallengeOf(form.get('code_verifier') ?? '') !== expected) {
          return { status: 400, body: { error: 'invalid_grant' } };
        }
        return { status: 200, body: { access_token: 'ya29.login', expires_in: 3599, refresh_token: '1//login' } };
      }
      return { status: 404, body: {} };
    }),
  );
  servers.push(server);
  const settings: GoogleSettings = {
    tokenUrl: `${server.url}/token`,
    authUrl: `${server.url}/auth`,
    userinfoUrl: `${server.url}/userinfo`,
    clientId: 'client',
    clientSecret: 'secret',
    oauthClientKey: 'antigravity_enterprise',
    userAgent: 'ua',
    timeoutMs: 5_000,
    scopes: defaultGoogleScopes,
  };
  return { settings, server };
}

/** Where the fake authorization server sends the browser (without following it). */
async function redirectTarget(authorizationUrl: string): Promise<string> {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  await response.arrayBuffer();
  return response.headers.get('location') ?? '';
}

async function listenerIsClosed(login: LoopbackLogin): Promise<boolean> {
  try {
    const response = await fetch(login.redirectUri);
    await response.arrayBuffer();
    return false;
  } catch {
    return true;
  }
}

describe('verifyCallback and createOAuthFlow', () => {
  const flow = { state: 'expected-state' };
  test('accepts the right state and answers the code', () => {
    assert.deepEqual(verifyCallback(flow, { state: 'expected-state', code: 'c1' }), { code: 'c1' });
    assert.deepEqual(verifyCallback(flow, new URLSearchParams('state=expected-state&code=c2')), { code: 'c2' });
  });
  test('rejects a missing or wrong state before looking at anything else', () => {
    for (const query of [{ code: 'c' }, { state: 'other', code: 'c' }, { state: 'other', error: 'access_denied' }]) {
      assert.throws(() => verifyCallback(flow, query), { code: 'AGW_OAUTH_STATE_MISMATCH' });
    }
  });
  test('reports Google errors and a missing code', () => {
    assert.throws(() => verifyCallback(flow, { state: 'expected-state', error: 'access_denied' }), {
      code: 'AGW_OAUTH_FAILED',
      message: /access_denied/,
    });
    assert.throws(() => verifyCallback(flow, { state: 'expected-state' }), { code: 'AGW_OAUTH_FAILED' });
  });
  test('a flow carries a fresh state, a PKCE pair and the URL', async () => {
    const { settings } = await fakeAuthorizationServer();
    const first = createOAuthFlow(settings, 'http://localhost:8045/auth/callback', () => 42);
    const second = createOAuthFlow(settings, 'http://localhost:8045/auth/callback');
    assert.notEqual(first.state, second.state);
    assert.equal(first.createdAtMs, 42);
    const url = new URL(first.url);
    assert.equal(url.searchParams.get('state'), first.state);
    assert.equal(url.searchParams.get('code_challenge'), pkceChallengeOf(first.codeVerifier));
    assert.equal(url.searchParams.get('redirect_uri'), 'http://localhost:8045/auth/callback');
  });
});

describe('startLoopbackLogin', () => {
  test('end to end: the browser is redirected to the loopback callback and tokens come back', async () => {
    const { settings, server } = await fakeAuthorizationServer();
    let page = '';
    let pageStatus = 0;
    const login = await startLoopbackLogin({
      settings,
      oauth: oauthFor(settings),
      timeoutMs: 10_000,
      openBrowser: (url) => {
        void fetch(url).then(async (response) => {
          pageStatus = response.status;
          page = await response.text();
        });
      },
    });
    assert.match(login.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/oauth-callback$/);
    const tokens = await login.result;
    assert.deepEqual(tokens, {
      accessToken: 'ya29.login',
      refreshToken: '1//login',
      expiresInSeconds: 3599,
      oauthClientKey: 'antigravity_enterprise',
    });
    const tokenCall = server.calls.find((call) => call.path === '/token');
    assert.equal(new URLSearchParams(tokenCall!.body).get('redirect_uri'), login.redirectUri);
    for (let turn = 0; turn < 200 && page === ''; turn += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(pageStatus, 200);
    assert.match(page, /Signed in/);
    assert.ok(await listenerIsClosed(login));
  });

  test('a callback with a wrong state gets a 400 and the login keeps waiting for the right one', async () => {
    const { settings } = await fakeAuthorizationServer();
    const login = await startLoopbackLogin({ settings, oauth: oauthFor(settings), timeoutMs: 10_000 });
    const forged = await fetch(`${login.redirectUri}?code=evil&state=forged`);
    assert.equal(forged.status, 400);
    assert.match(await forged.text(), /AGW_OAUTH_STATE_MISMATCH/);
    const stray = await fetch(new URL('/favicon.ico', login.redirectUri));
    assert.equal(stray.status, 404);
    await stray.arrayBuffer();
    const genuine = await fetch(login.url);
    assert.equal(genuine.status, 200);
    await genuine.arrayBuffer();
    assert.equal((await login.result).refreshToken, '1//login');
  });

  test('too many wrong states fail the login with AGW_OAUTH_STATE_MISMATCH', async () => {
    const { settings, server } = await fakeAuthorizationServer();
    const login = await startLoopbackLogin({
      settings,
      oauth: oauthFor(settings),
      timeoutMs: 10_000,
      maxStateMismatches: 2,
    });
    for (let index = 0; index < 2; index += 1) {
      await (await fetch(`${login.redirectUri}?code=evil&state=forged-${index}`)).arrayBuffer();
    }
    const error = await rejection(login.result);
    assert.equal(error.code, 'AGW_OAUTH_STATE_MISMATCH');
    assert.equal(server.calls.filter((call) => call.path === '/token').length, 0, 'a forged code was exchanged');
    assert.ok(await listenerIsClosed(login));
  });

  test('Google denying access fails the login', async () => {
    const { settings } = await fakeAuthorizationServer();
    const login = await startLoopbackLogin({ settings, oauth: oauthFor(settings), timeoutMs: 10_000 });
    const response = await fetch(`${login.redirectUri}?error=access_denied&state=${login.flow.state}`);
    assert.equal(response.status, 400);
    await response.arrayBuffer();
    const error = await rejection(login.result);
    assert.equal(error.code, 'AGW_OAUTH_FAILED');
  });

  test('nobody signing in ends with AGW_OAUTH_TIMEOUT and a closed listener', async () => {
    const { settings } = await fakeAuthorizationServer();
    const login = await startLoopbackLogin({ settings, oauth: oauthFor(settings), timeoutMs: 50 });
    const error = await rejection(login.result);
    assert.equal(error.code, 'AGW_OAUTH_TIMEOUT');
    assert.match(error.message, /run the login again/);
    assert.ok(await listenerIsClosed(login));
  });

  test('cancel stops the login', async () => {
    const { settings } = await fakeAuthorizationServer();
    const login = await startLoopbackLogin({ settings, oauth: oauthFor(settings), timeoutMs: 10_000 });
    login.cancel();
    assert.equal((await rejection(login.result)).code, 'AGW_OAUTH_FAILED');
    assert.ok(await listenerIsClosed(login));
  });
});

describe('completeFromPastedRedirect', () => {
  test('a pasted redirect address completes the login; a wrong one is refused and the login goes on', async () => {
    const { settings } = await fakeAuthorizationServer();
    const login = await startLoopbackLogin({ settings, oauth: oauthFor(settings), timeoutMs: 10_000 });
    const target = await redirectTarget(login.url);
    assert.ok(target.startsWith(login.redirectUri));

    const wrong = new URL(target);
    wrong.searchParams.set('state', 'not-the-state');
    assert.equal(
      (await rejection(completeFromPastedRedirect(wrong.toString(), login))).code,
      'AGW_OAUTH_STATE_MISMATCH',
    );
    assert.equal((await rejection(completeFromPastedRedirect('not a url', login))).code, 'AGW_INVALID_REQUEST');

    const tokens = await completeFromPastedRedirect(`  ${target}\n`, login);
    assert.equal(tokens.accessToken, 'ya29.login');
    assert.deepEqual(await login.result, tokens);
    assert.ok(await listenerIsClosed(login));
    assert.equal((await rejection(completeFromPastedRedirect(target, login))).code, 'AGW_OAUTH_FAILED');
  });
});
