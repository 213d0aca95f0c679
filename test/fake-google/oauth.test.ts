import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { postJson, type Started, startWithAccount, tokenRequest } from './helpers.ts';

const redirectUri = 'http://127.0.0.1:53682/oauth-callback';

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = 'a-verifier-of-sufficient-length-0123456789-abcdefghijklmnop';
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function authorize(started: Started, params: Record<string, string>): Promise<Response> {
  const url = new URL(started.google.urls.authUrl);
  const defaults = {
    client_id: started.google.client.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid https://www.googleapis.com/auth/cloud-platform',
    state: 'state-123',
    access_type: 'offline',
    prompt: 'consent',
  };
  for (const [key, value] of Object.entries({ ...defaults, ...params })) url.searchParams.set(key, value);
  return fetch(url, { redirect: 'manual' });
}

describe('token endpoint: refresh grant', () => {
  let started: Started;
  before(async () => {
    started = await startWithAccount();
  });
  after(() => started.google.close());

  test('a known refresh token yields a bearer access token without a new refresh token', async () => {
    const reply = await tokenRequest(started.google, {
      grant_type: 'refresh_token',
      refresh_token: started.refreshToken,
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.token_type, 'Bearer');
    assert.equal(reply.body.expires_in, 3599);
    assert.match(reply.body.access_token, /^ya29\./);
    assert.match(reply.body.scope, /cloud-platform/);
    assert.equal(reply.body.id_token.split('.').length, 3);
    assert.equal('refresh_token' in reply.body, false);
    const info = await fetch(started.google.urls.userinfoUrl, {
      headers: { authorization: `Bearer ${reply.body.access_token}` },
    });
    assert.equal(info.status, 200);
    const user = (await info.json()) as Record<string, unknown>;
    assert.equal(user['email'], started.email);
    assert.equal(user['verified_email'], true);
    assert.equal(user['name'], 'Ada Lovelace');
    assert.equal(user['given_name'], 'Ada');
    assert.equal(user['family_name'], 'Lovelace');
    assert.equal(typeof user['id'], 'string');
    assert.equal(typeof user['picture'], 'string');
  });

  test('an unknown refresh token is invalid_grant', async () => {
    const reply = await tokenRequest(started.google, { grant_type: 'refresh_token', refresh_token: '1//nobody' });
    assert.equal(reply.status, 400);
    assert.deepEqual(reply.body, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
  });

  test('a wrong client id or secret is invalid_client 401', async () => {
    const unknown = await tokenRequest(started.google, {
      client_id: 'other.apps.googleusercontent.com',
      grant_type: 'refresh_token',
      refresh_token: started.refreshToken,
    });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.error, 'invalid_client');
    const wrongSecret = await tokenRequest(started.google, {
      client_secret: 'nope',
      grant_type: 'refresh_token',
      refresh_token: started.refreshToken,
    });
    assert.equal(wrongSecret.status, 401);
    assert.equal(wrongSecret.body.error, 'invalid_client');
  });

  test('an unsupported grant type is rejected', async () => {
    const reply = await tokenRequest(started.google, { grant_type: 'password' });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error, 'unsupported_grant_type');
  });

  test('revoking a refresh token makes it invalid_grant and kills its access tokens', async () => {
    const handle = started.google.control.addAccount({ email: 'bob@example.com', refreshToken: '1//bob' });
    const access = handle.mintAccessToken();
    assert.equal(started.google.control.revokeRefreshToken('1//bob'), true);
    const reply = await tokenRequest(started.google, { grant_type: 'refresh_token', refresh_token: '1//bob' });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error, 'invalid_grant');
    const load = await postJson(`${started.google.urls.v1internal}:loadCodeAssist`, { metadata: {} }, access);
    assert.equal(load.status, 401);
  });

  test('rotation hands out a new refresh token and spends the old one', async () => {
    started.google.control.addAccount({ email: 'cy@example.com', refreshToken: '1//cy-first' });
    started.google.control.rotateRefreshTokens('cy@example.com', true);
    const first = await tokenRequest(started.google, { grant_type: 'refresh_token', refresh_token: '1//cy-first' });
    assert.equal(first.status, 200);
    const rotated = first.body.refresh_token as string;
    assert.equal(typeof rotated, 'string');
    assert.notEqual(rotated, '1//cy-first');
    assert.equal(started.google.control.account('cy@example.com')?.refreshToken(), rotated);
    const old = await tokenRequest(started.google, { grant_type: 'refresh_token', refresh_token: '1//cy-first' });
    assert.equal(old.status, 400);
    assert.equal(old.body.error, 'invalid_grant');
    const next = await tokenRequest(started.google, { grant_type: 'refresh_token', refresh_token: rotated });
    assert.equal(next.status, 200);
    assert.notEqual(next.body.refresh_token, rotated);
    started.google.control.rotateRefreshTokens('cy@example.com', false);
    const stable = await tokenRequest(started.google, {
      grant_type: 'refresh_token',
      refresh_token: next.body.refresh_token,
    });
    assert.equal(stable.status, 200);
    assert.equal('refresh_token' in stable.body, false);
  });
});

describe('authorization code flow with PKCE', () => {
  let started: Started;
  before(async () => {
    started = await startWithAccount();
  });
  after(() => started.google.close());

  test('the auth page redirects to the loopback URI with a code and the state untouched; the exchange succeeds', async () => {
    const { verifier, challenge } = pkcePair();
    const page = await authorize(started, {
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'wrong&odd state',
    });
    assert.equal(page.status, 302);
    const location = new URL(page.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, redirectUri);
    assert.equal(location.searchParams.get('state'), 'wrong&odd state');
    const code = location.searchParams.get('code')!;
    assert.ok(code.length > 0);
    const exchange = await tokenRequest(started.google, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    assert.equal(exchange.status, 200);
    assert.equal(typeof exchange.body.refresh_token, 'string');
    assert.equal(typeof exchange.body.access_token, 'string');
    const refreshed = await tokenRequest(started.google, {
      grant_type: 'refresh_token',
      refresh_token: exchange.body.refresh_token,
    });
    assert.equal(refreshed.status, 200);
    const reused = await tokenRequest(started.google, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    assert.equal(reused.status, 400);
    assert.equal(reused.body.error, 'invalid_grant');
  });

  test('a wrong or missing verifier and a different redirect URI fail', async () => {
    const { verifier, challenge } = pkcePair();
    const codeFor = async () => {
      const page = await authorize(started, { code_challenge: challenge, code_challenge_method: 'S256' });
      return new URL(page.headers.get('location')!).searchParams.get('code')!;
    };
    const wrong = await tokenRequest(started.google, {
      grant_type: 'authorization_code',
      code: await codeFor(),
      redirect_uri: redirectUri,
      code_verifier: `${verifier}x`,
    });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body, { error: 'invalid_grant', error_description: 'Invalid code verifier.' });
    const missing = await tokenRequest(started.google, {
      grant_type: 'authorization_code',
      code: await codeFor(),
      redirect_uri: redirectUri,
    });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_grant');
    const mismatch = await tokenRequest(started.google, {
      grant_type: 'authorization_code',
      code: await codeFor(),
      redirect_uri: 'http://127.0.0.1:1/other',
      code_verifier: verifier,
    });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.error, 'redirect_uri_mismatch');
    const unknown = await tokenRequest(started.google, {
      grant_type: 'authorization_code',
      code: '4/never-issued',
      redirect_uri: redirectUri,
    });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error, 'invalid_grant');
  });

  test('non-loopback redirect URIs and unknown clients are refused; no signed-in account means access_denied', async () => {
    const remote = await authorize(started, { redirect_uri: 'https://evil.example.com/callback' });
    assert.equal(remote.status, 400);
    assert.match(await remote.text(), /redirect_uri_mismatch/);
    const client = await authorize(started, { client_id: 'unknown' });
    assert.equal(client.status, 401);
    started.google.control.setLoginAccount(null);
    const denied = await authorize(started, {});
    assert.equal(denied.status, 302);
    const location = new URL(denied.headers.get('location')!);
    assert.equal(location.searchParams.get('error'), 'access_denied');
    assert.equal(location.searchParams.get('state'), 'state-123');
    assert.equal(location.searchParams.get('code'), null);
  });

  test('setLoginAccount chooses whose code is issued', async () => {
    started.google.control.addAccount({ email: 'dee@example.com', name: 'Dee', refreshToken: '1//dee' });
    started.google.control.setLoginAccount('dee@example.com');
    const page = await authorize(started, {});
    const code = new URL(page.headers.get('location')!).searchParams.get('code')!;
    const exchange = await tokenRequest(started.google, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
    });
    assert.equal(exchange.status, 200);
    const info = await fetch(started.google.urls.userinfoUrl, {
      headers: { authorization: `Bearer ${exchange.body.access_token}` },
    });
    assert.equal(((await info.json()) as { email: string }).email, 'dee@example.com');
  });
});

describe('access token expiry on the fake clock', () => {
  test('an access token stops working once the clock passes its lifetime', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const started = await startWithAccount({ now: () => now, accessTokenLifetimeSeconds: 60 });
    try {
      const reply = await tokenRequest(started.google, {
        grant_type: 'refresh_token',
        refresh_token: started.refreshToken,
      });
      assert.equal(reply.body.expires_in, 60);
      const token = reply.body.access_token as string;
      const url = `${started.google.urls.v1internal}:loadCodeAssist`;
      assert.equal((await postJson(url, { metadata: { ideType: 'ANTIGRAVITY' } }, token)).status, 200);
      now += 59_000;
      assert.equal((await postJson(url, { metadata: {} }, token)).status, 200);
      now += 1_000;
      const expired = await postJson(url, { metadata: {} }, token);
      assert.equal(expired.status, 401);
      assert.equal(expired.body.error.status, 'UNAUTHENTICATED');
      const info = await fetch(started.google.urls.userinfoUrl, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(info.status, 401);
      started.google.control.advanceClock(-10);
      assert.equal((await postJson(url, { metadata: {} }, token)).status, 200);
    } finally {
      await started.google.close();
    }
  });
});
