/**
 * OAuth: the authorization page (auto-consenting as the signed-in account), the token endpoint (refresh and
 * PKCE code exchange) and userinfo.
 */
import { createHash, createHmac } from 'node:crypto';
import { googleError, oauthError } from './google-errors.ts';
import { bearerToken, sendBody } from './http-util.ts';
import type { Exchange, FakeRuntime } from './runtime.ts';
import { defaultScope } from './state.ts';

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Only loopback `http:` redirect URIs are accepted, as Google does for installed apps. */
export function isLoopbackRedirect(value: string | undefined): boolean {
  if (value === undefined) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && loopbackHosts.has(url.hostname);
  } catch {
    return false;
  }
}

function page(exchange: Exchange, status: number, text: string): void {
  sendBody(
    exchange,
    status,
    `<!doctype html><title>Fake Google sign-in</title><p>${text}</p>`,
    {},
    'text/html; charset=UTF-8',
  );
}

function redirect(exchange: Exchange, target: string): void {
  exchange.call.outcome = 302;
  exchange.response.writeHead(302, { location: target, 'content-length': 0 });
  exchange.response.end();
}

/** GET /o/oauth2/v2/auth — validates the request and immediately redirects with a code for the login account. */
export function handleAuthorize(runtime: FakeRuntime, exchange: Exchange): void {
  const query = exchange.query;
  const clientId = query['client_id'];
  if (clientId === undefined || !runtime.clients.has(clientId)) {
    page(exchange, 401, 'Error 401: invalid_client. The OAuth client was not found.');
    return;
  }
  const redirectUri = query['redirect_uri'];
  if (!isLoopbackRedirect(redirectUri)) {
    page(exchange, 400, 'Error 400: redirect_uri_mismatch. Only loopback http redirect URIs are allowed.');
    return;
  }
  if (query['response_type'] !== 'code') {
    page(exchange, 400, 'Error 400: unsupported_response_type.');
    return;
  }
  const method = query['code_challenge_method'];
  const challenge = query['code_challenge'];
  if (challenge !== undefined && method !== undefined && method !== 'S256' && method !== 'plain') {
    page(exchange, 400, 'Error 400: invalid_request. Unsupported code_challenge_method.');
    return;
  }
  const target = new URL(redirectUri!);
  const state = query['state'];
  const email = runtime.state.loginAccount;
  if (email === null || email === undefined || !runtime.state.accounts.has(email)) {
    target.searchParams.set('error', 'access_denied');
  } else {
    exchange.email = email;
    exchange.call.email = email;
    const scope = query['scope'] ?? defaultScope;
    const code = runtime.state.issueCode({
      email,
      clientId,
      redirectUri: redirectUri!,
      scope,
      codeChallenge: challenge,
      codeChallengeMethod: challenge === undefined ? undefined : (method ?? 'plain'),
    });
    target.searchParams.set('code', code);
    target.searchParams.set('scope', scope);
    target.searchParams.set('authuser', '0');
    target.searchParams.set('prompt', 'consent');
  }
  // The state is passed through untouched: checking it is the client's job.
  if (state !== undefined) target.searchParams.set('state', state);
  redirect(exchange, target.toString());
}

function base64Url(buffer: Buffer): string {
  return buffer.toString('base64url');
}

function idToken(runtime: FakeRuntime, email: string, clientId: string): string {
  const account = runtime.state.requireAccount(email);
  const issuedAt = Math.floor(runtime.now() / 1000);
  const header = base64Url(Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'fake-google', typ: 'JWT' })));
  const payload = base64Url(
    Buffer.from(
      JSON.stringify({
        iss: 'https://accounts.google.com',
        azp: clientId,
        aud: clientId,
        sub: account.id,
        email,
        email_verified: true,
        name: account.name,
        iat: issuedAt,
        exp: issuedAt + runtime.state.accessTokenLifetimeSeconds,
      }),
    ),
  );
  const signature = base64Url(createHmac('sha256', 'fake-google-id-token').update(`${header}.${payload}`).digest());
  return `${header}.${payload}.${signature}`;
}

/** The email a token request is about, found before scripts run so rules can match by account. */
export function tokenRequestEmail(runtime: FakeRuntime, form: Record<string, string>): string | undefined {
  if (form['grant_type'] === 'refresh_token' && form['refresh_token'] !== undefined) {
    return runtime.state.emailForRefreshToken(form['refresh_token']);
  }
  if (form['grant_type'] === 'authorization_code' && form['code'] !== undefined) {
    return runtime.state.codes.get(form['code'])?.email;
  }
  return undefined;
}

/** POST /token */
export function handleToken(runtime: FakeRuntime, exchange: Exchange): void {
  const form = (exchange.body ?? {}) as Record<string, string>;
  const clientId = form['client_id'];
  const knownSecret = clientId === undefined ? undefined : runtime.clients.get(clientId);
  if (knownSecret === undefined) {
    sendBody(exchange, 401, oauthError('invalid_client', 'The OAuth client was not found.'));
    return;
  }
  if (form['client_secret'] !== knownSecret) {
    sendBody(exchange, 401, oauthError('invalid_client', 'Unauthorized'));
    return;
  }
  const grantType = form['grant_type'];
  if (grantType === 'refresh_token') refreshGrant(runtime, exchange, form, clientId!);
  else if (grantType === 'authorization_code') codeGrant(runtime, exchange, form, clientId!);
  else sendBody(exchange, 400, oauthError('unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`));
}

function refreshGrant(runtime: FakeRuntime, exchange: Exchange, form: Record<string, string>, clientId: string): void {
  const token = form['refresh_token'];
  const email = token === undefined ? undefined : runtime.state.emailForRefreshToken(token);
  if (token === undefined || email === undefined || !runtime.state.accounts.has(email)) {
    sendBody(exchange, 400, oauthError('invalid_grant', 'Token has been expired or revoked.'));
    return;
  }
  const account = runtime.state.requireAccount(email);
  const body: Record<string, unknown> = {
    access_token: runtime.state.issueAccessToken(email),
    expires_in: runtime.state.accessTokenLifetimeSeconds,
    scope: defaultScope,
    token_type: 'Bearer',
    id_token: idToken(runtime, email, clientId),
  };
  if (account.rotateRefreshTokens) {
    // Rotation: the presented token is spent, the new one is the only valid one from now on.
    runtime.state.revokeRefreshToken(token);
    body['refresh_token'] = runtime.state.issueRefreshToken(email);
  }
  sendBody(exchange, 200, body);
}

function codeGrant(runtime: FakeRuntime, exchange: Exchange, form: Record<string, string>, clientId: string): void {
  const codeValue = form['code'];
  const code = codeValue === undefined ? undefined : runtime.state.codes.get(codeValue);
  if (codeValue === undefined || code === undefined) {
    sendBody(exchange, 400, oauthError('invalid_grant', 'Malformed auth code.'));
    return;
  }
  // Codes are single-use, even when the exchange fails.
  runtime.state.codes.delete(codeValue);
  if (runtime.now() >= code.expiresAt || code.clientId !== clientId) {
    sendBody(exchange, 400, oauthError('invalid_grant', 'Bad Request'));
    return;
  }
  if (form['redirect_uri'] !== code.redirectUri) {
    sendBody(exchange, 400, oauthError('redirect_uri_mismatch', 'Bad Request'));
    return;
  }
  if (code.codeChallenge !== undefined) {
    const verifier = form['code_verifier'];
    if (verifier === undefined) {
      sendBody(exchange, 400, oauthError('invalid_grant', 'Missing code verifier.'));
      return;
    }
    const computed =
      code.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
    if (computed !== code.codeChallenge) {
      sendBody(exchange, 400, oauthError('invalid_grant', 'Invalid code verifier.'));
      return;
    }
  }
  const email = code.email;
  sendBody(exchange, 200, {
    access_token: runtime.state.issueAccessToken(email),
    expires_in: runtime.state.accessTokenLifetimeSeconds,
    refresh_token: runtime.state.issueRefreshToken(email),
    scope: code.scope,
    token_type: 'Bearer',
    id_token: idToken(runtime, email, clientId),
  });
}

/** GET /oauth2/v2/userinfo */
export function handleUserinfo(runtime: FakeRuntime, exchange: Exchange): void {
  const token = bearerToken(exchange.request.headers.authorization);
  const email = token === undefined ? undefined : runtime.state.emailForAccessToken(token);
  const account = email === undefined ? undefined : runtime.state.accounts.get(email);
  if (account === undefined) {
    sendBody(exchange, 401, googleError(401), { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' });
    return;
  }
  const [givenName, ...rest] = account.name.split(' ');
  sendBody(exchange, 200, {
    id: account.id,
    email: account.email,
    verified_email: true,
    name: account.name,
    given_name: givenName ?? account.name,
    family_name: rest.join(' '),
    picture: `https://lh3.googleusercontent.com/a/fake-${account.id}`,
  });
}
