import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { GatewayError } from '../../src/errors/catalogue.ts';
import { createGoogleAgent } from '../../src/google/http.ts';
import {
  buildAuthorizationUrl,
  createOAuthClient,
  createPkcePair,
  displayNameOf,
  pkceChallengeOf,
} from '../../src/google/oauth.ts';
import { defaultGoogleScopes, type GoogleSettings } from '../../src/google/settings.ts';
import { type RecordedCall, type Reply, refusedPort, replying, startServer } from '../support/http-server.ts';
import { rejection } from '../support/rejection.ts';

const agent = createGoogleAgent();
after(() => agent.close());

const plantedRefreshToken = '1//CANARY-refresh-token-must-never-leak-0123456789';
const clientSecret = 'CANARY-client-secret-0123';

function settingsFor(baseUrl: string): GoogleSettings {
  return {
    tokenUrl: `${baseUrl}/token`,
    authUrl: `${baseUrl}/auth`,
    userinfoUrl: `${baseUrl}/userinfo`,
    clientId: 'client-id-1',
    clientSecret,
    oauthClientKey: 'antigravity_enterprise',
    userAgent: 'vscode/1.X.X (Antigravity/4.3.0)',
    timeoutMs: 5_000,
    scopes: defaultGoogleScopes,
  };
}

async function withServer<T>(
  handler: (call: RecordedCall) => Reply,
  body: (client: ReturnType<typeof createOAuthClient>, calls: RecordedCall[]) => Promise<T>,
): Promise<T> {
  const server = await startServer(replying(handler));
  try {
    return await body(createOAuthClient(settingsFor(server.url), { dispatcher: agent }), server.calls);
  } finally {
    await server.close();
  }
}

function assertNoSecrets(error: GatewayError): void {
  const text = `${error.message} ${JSON.stringify(error.details ?? {})}`;
  assert.ok(!text.includes(plantedRefreshToken), 'refresh token leaked into an error');
  assert.ok(!text.includes(clientSecret), 'client secret leaked into an error');
}

describe('refreshAccessToken', () => {
  test('sends the refresh form and returns the new access token', async () => {
    await withServer(
      () => ({ status: 200, body: { access_token: 'ya29.new', expires_in: 3599, token_type: 'Bearer' } }),
      async (client, calls) => {
        const refreshed = await client.refreshAccessToken({ refreshToken: plantedRefreshToken });
        assert.deepEqual(refreshed, {
          accessToken: 'ya29.new',
          expiresInSeconds: 3599,
          oauthClientKey: 'antigravity_enterprise',
        });
        assert.equal(calls.length, 1);
        const form = new URLSearchParams(calls[0]!.body);
        assert.equal(form.get('grant_type'), 'refresh_token');
        assert.equal(form.get('refresh_token'), plantedRefreshToken);
        assert.equal(form.get('client_id'), 'client-id-1');
        assert.equal(form.get('client_secret'), clientSecret);
        assert.equal(calls[0]!.headers['content-type'], 'application/x-www-form-urlencoded');
        assert.equal(calls[0]!.headers['user-agent'], 'vscode/1.X.X (Antigravity/4.3.0)');
      },
    );
  });

  test('returns a rotated refresh token and the id token', async () => {
    await withServer(
      () => ({
        status: 200,
        body: { access_token: 'ya29.a', expires_in: '3599', refresh_token: '1//rotated', id_token: 'eyJ.id' },
      }),
      async (client) => {
        const refreshed = await client.refreshAccessToken({ refreshToken: plantedRefreshToken });
        assert.equal(refreshed.refreshToken, '1//rotated');
        assert.equal(refreshed.idToken, 'eyJ.id');
        assert.equal(refreshed.expiresInSeconds, 3599);
      },
    );
  });

  test('invalid_grant becomes AGW_REFRESH_REVOKED carrying Google body but not the token', async () => {
    await withServer(
      () => ({
        status: 400,
        body: { error: 'invalid_grant', error_description: `Token has been expired or revoked.` },
      }),
      async (client) => {
        const error = await rejection(client.refreshAccessToken({ refreshToken: plantedRefreshToken }));
        assert.equal(error.code, 'AGW_REFRESH_REVOKED');
        assert.equal(error.upstreamStatus, 400);
        assert.match(error.message, /^Refresh failed: .*invalid_grant/);
        assertNoSecrets(error);
      },
    );
  });

  test('a body echoing the refresh token is redacted', async () => {
    await withServer(
      () => ({ status: 400, body: { error: 'invalid_grant', error_description: `bad token ${plantedRefreshToken}` } }),
      async (client) => {
        const error = await rejection(client.refreshAccessToken({ refreshToken: plantedRefreshToken }));
        assert.equal(error.code, 'AGW_REFRESH_REVOKED');
        assertNoSecrets(error);
      },
    );
  });

  for (const [label, reply] of [
    ['503', { status: 503, body: { error: 'backend_error' } }],
    ['invalid_client', { status: 401, body: { error: 'invalid_client' } }],
    ['unparsable 200', { status: 200, body: 'not json' }],
    ['200 without access_token', { status: 200, body: { expires_in: 3599 } }],
    ['NaN expires_in', { status: 200, body: { access_token: 'ya29.x', expires_in: 'soon' } }],
    ['negative expires_in', { status: 200, body: { access_token: 'ya29.x', expires_in: -5 } }],
    ['absurd expires_in', { status: 200, body: { access_token: 'ya29.x', expires_in: 10_000_000_000 } }],
  ] as const) {
    test(`${label} becomes AGW_REFRESH_FAILED without secrets`, async () => {
      await withServer(
        () => reply,
        async (client) => {
          const error = await rejection(client.refreshAccessToken({ refreshToken: plantedRefreshToken }));
          assert.equal(error.code, 'AGW_REFRESH_FAILED');
          assert.ok(!error.message.includes('ya29.x'), 'access token leaked into an error');
          assertNoSecrets(error);
        },
      );
    });
  }

  test('connection refused becomes AGW_REFRESH_FAILED without secrets', async () => {
    const port = await refusedPort();
    const client = createOAuthClient(settingsFor(`http://127.0.0.1:${port}`), { dispatcher: agent });
    const error = await rejection(client.refreshAccessToken({ refreshToken: plantedRefreshToken }));
    assert.equal(error.code, 'AGW_REFRESH_FAILED');
    assert.match(error.message, /Could not reach 127\.0\.0\.1/);
    assertNoSecrets(error);
  });

  test('a server that never answers hits the time budget as AGW_REFRESH_FAILED', async () => {
    const server = await startServer(replying(() => new Promise<Reply>(() => undefined)));
    try {
      const client = createOAuthClient({ ...settingsFor(server.url), timeoutMs: 100 }, { dispatcher: agent });
      const error = await rejection(client.refreshAccessToken({ refreshToken: plantedRefreshToken }));
      assert.equal(error.code, 'AGW_REFRESH_FAILED');
      assert.equal(error.details?.['reason'], 'timeout');
      assertNoSecrets(error);
    } finally {
      await server.close();
    }
  });
});

describe('authorization URL and code exchange with PKCE', () => {
  test('createPkcePair makes a S256 pair', () => {
    const pair = createPkcePair();
    assert.match(pair.codeVerifier, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(pair.codeChallenge, pkceChallengeOf(pair.codeVerifier));
    assert.notEqual(createPkcePair().codeVerifier, pair.codeVerifier);
    // RFC 7636 appendix B test vector.
    assert.equal(
      pkceChallengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'),
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  test('buildAuthorizationUrl carries the reference parameters and PKCE', () => {
    const url = new URL(
      buildAuthorizationUrl(settingsFor('http://127.0.0.1:1'), {
        redirectUri: 'http://127.0.0.1:5555/oauth-callback',
        state: 'state-1',
        codeChallenge: 'challenge-1',
      }),
    );
    assert.equal(url.pathname, '/auth');
    const query = Object.fromEntries(url.searchParams);
    assert.deepEqual(query, {
      client_id: 'client-id-1',
      redirect_uri: 'http://127.0.0.1:5555/oauth-callback',
      response_type: 'code',
      scope: defaultGoogleScopes.join(' '),
      access_type: 'offline',
      prompt: 'consent',
      include_granted_scopes: 'true',
      state: 'state-1',
      code_challenge: 'challenge-1',
      code_challenge_method: 'S256',
    });
  });

  test('exchangeCode sends the verifier; the server checks S256 against the challenge', async () => {
    const pair = createPkcePair();
    await withServer(
      (call) => {
        const form = new URLSearchParams(call.body);
        const verifier = form.get('code_verifier') ?? '';
        if (form.get('code') !== 'code-1' || pkceChallengeOf(verifier) !== pair.codeChallenge) {
          return { status: 400, body: { error: 'invalid_grant', error_description: 'PKCE verification failed' } };
        }
        return {
          status: 200,
          body: { access_token: 'ya29.first', expires_in: 3599, refresh_token: '1//first', id_token: 'eyJ.x' },
        };
      },
      async (client, calls) => {
        const tokens = await client.exchangeCode({
          code: 'code-1',
          redirectUri: 'http://127.0.0.1:5555/oauth-callback',
          codeVerifier: pair.codeVerifier,
        });
        assert.deepEqual(tokens, {
          accessToken: 'ya29.first',
          refreshToken: '1//first',
          expiresInSeconds: 3599,
          idToken: 'eyJ.x',
          oauthClientKey: 'antigravity_enterprise',
        });
        const form = new URLSearchParams(calls[0]!.body);
        assert.equal(form.get('grant_type'), 'authorization_code');
        assert.equal(form.get('redirect_uri'), 'http://127.0.0.1:5555/oauth-callback');
        const wrong = await rejection(
          client.exchangeCode({ code: 'code-1', redirectUri: 'http://x', codeVerifier: createPkcePair().codeVerifier }),
        );
        assert.equal(wrong.code, 'AGW_OAUTH_FAILED');
        assert.match(wrong.message, /PKCE verification failed/);
      },
    );
  });

  test('a missing refresh token tells the user to revoke access and retry', async () => {
    await withServer(
      () => ({ status: 200, body: { access_token: 'ya29.first', expires_in: 3599 } }),
      async (client) => {
        const error = await rejection(client.exchangeCode({ code: 'c', redirectUri: 'http://x', codeVerifier: 'v' }));
        assert.equal(error.code, 'AGW_OAUTH_FAILED');
        assert.match(error.message, /refresh token/);
        assert.match(error.message, /[Rr]evoke/);
        assert.ok(!error.message.includes('ya29.first'));
      },
    );
  });
});

describe('fetchUserInfo', () => {
  test('sends the bearer token and reads email and name', async () => {
    await withServer(
      () => ({ status: 200, body: { email: 'a@example.com', given_name: 'Ada', family_name: 'Lovelace' } }),
      async (client, calls) => {
        assert.deepEqual(await client.fetchUserInfo('ya29.token'), { email: 'a@example.com', name: 'Ada Lovelace' });
        assert.equal(calls[0]!.method, 'GET');
        assert.equal(calls[0]!.headers.authorization, 'Bearer ya29.token');
      },
    );
  });

  test('401 stays distinguishable for a refresh-and-retry', async () => {
    await withServer(
      () => ({ status: 401, body: { error: 'invalid_token' } }),
      async (client) => {
        const error = await rejection(client.fetchUserInfo('ya29.token'));
        assert.equal(error.code, 'AGW_UPSTREAM_UNAUTHORIZED');
        assert.equal(error.upstreamStatus, 401);
      },
    );
  });

  test('an answer without email fails', async () => {
    await withServer(
      () => ({ status: 200, body: { name: 'No Mail' } }),
      async (client) => {
        assert.equal((await rejection(client.fetchUserInfo('t'))).code, 'AGW_OAUTH_FAILED');
      },
    );
  });

  test('display name rules', () => {
    assert.equal(displayNameOf({ name: 'Full', given_name: 'A', family_name: 'B' }), 'Full');
    assert.equal(displayNameOf({ given_name: 'A' }), 'A');
    assert.equal(displayNameOf({ family_name: 'B' }), 'B');
    assert.equal(displayNameOf({ name: ' ' }), undefined);
  });
});
