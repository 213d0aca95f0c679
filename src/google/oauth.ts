/**
 * Google OAuth: authorization URL with PKCE, code exchange, refresh and userinfo (accounts-tokens-pool.md §4).
 * Every call goes through src/google/http.ts (shared agent, time budget, no retries). Error messages carry
 * Google's error body when it is an error body, and never a token, code, verifier or client secret.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { GatewayError } from '../errors/catalogue.ts';
import { scrubText } from '../telemetry/redaction.ts';
import type { OutboundProxies } from '../upstream/proxy/outbound-proxies.ts';
import { excerpt, getText, type HttpResult, parseJson, postForm, TransportError } from './http.ts';
import type { GoogleSettings } from './settings.ts';

export interface PkcePair {
  /** Kept secret by agw until the exchange. */
  codeVerifier: string;
  /** base64url(SHA-256(verifier)), sent in the authorization URL. */
  codeChallenge: string;
}

/** A fresh PKCE pair (RFC 7636, method S256). */
export function createPkcePair(): PkcePair {
  const codeVerifier = randomBytes(32).toString('base64url');
  return { codeVerifier, codeChallenge: pkceChallengeOf(codeVerifier) };
}

/** The S256 challenge of a verifier. */
export function pkceChallengeOf(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier).digest('base64url');
}

export interface AuthorizationUrlParams {
  redirectUri: string;
  state: string;
  codeChallenge: string;
}

/** The URL the user opens to sign in: the reference's query parameters plus PKCE S256. */
export function buildAuthorizationUrl(settings: GoogleSettings, params: AuthorizationUrlParams): string {
  const url = new URL(settings.authUrl);
  const query: Record<string, string> = {
    client_id: settings.clientId,
    redirect_uri: params.redirectUri,
    response_type: 'code',
    scope: settings.scopes.join(' '),
    access_type: 'offline',
    prompt: 'consent',
    include_granted_scopes: 'true',
    state: params.state,
    code_challenge: params.codeChallenge,
    code_challenge_method: 'S256',
  };
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.toString();
}

export interface ExchangedTokens {
  accessToken: string;
  refreshToken: string;
  expiresInSeconds: number;
  idToken?: string;
  oauthClientKey: string;
}

export interface RefreshedToken {
  accessToken: string;
  expiresInSeconds: number;
  /** Present when Google rotated the refresh token; the caller must store it. */
  refreshToken?: string;
  idToken?: string;
  oauthClientKey: string;
}

export interface UserInfo {
  email: string;
  name?: string;
}

export interface OAuthClient {
  buildAuthorizationUrl(params: AuthorizationUrlParams): string;
  exchangeCode(params: { code: string; redirectUri: string; codeVerifier: string }): Promise<ExchangedTokens>;
  refreshAccessToken(params: { refreshToken: string; signal?: AbortSignal }): Promise<RefreshedToken>;
  fetchUserInfo(accessToken: string, signal?: AbortSignal): Promise<UserInfo>;
}

export interface OAuthClientDependencies {
  /** The Agent of the auth calls (its creator closes it). */
  dispatcher: Dispatcher;
  /** The outbound proxies (issue 18); absent: every call goes direct through `dispatcher`. */
  proxies?: OutboundProxies | undefined;
  /** The account's own proxy URL; absent: the global/environment proxy, if any. */
  accountProxy?: string | null | undefined;
}

/** A dead proxy stays AGW_ACCOUNT_PROXY_FAILED (the account's route), never a Google or token failure. */
function isProxyFailure(error: unknown): error is GatewayError {
  return GatewayError.is(error) && error.code === 'AGW_ACCOUNT_PROXY_FAILED';
}

/** Longest access-token lifetime agw believes; Google issues 3599 s, anything beyond a day is a broken answer. */
const maximumExpiresInSeconds = 86_400;

interface TokenFields {
  accessToken: string;
  expiresInSeconds: number;
  refreshToken?: string;
  idToken?: string;
}

/** Strictly validates a 2xx token-endpoint body; answers a reason (never the body, which holds tokens) on failure. */
function readTokenBody(text: string): TokenFields | string {
  const body = parseJson(text);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the answer is not a JSON object';
  const record = body as Record<string, unknown>;
  const accessToken = record['access_token'];
  if (typeof accessToken !== 'string' || accessToken.trim() === '') return 'the answer has no access_token';
  const rawExpires = record['expires_in'];
  const expires = typeof rawExpires === 'string' && /^\d+$/.test(rawExpires) ? Number(rawExpires) : rawExpires;
  if (typeof expires !== 'number' || !Number.isInteger(expires) || expires <= 0 || expires > maximumExpiresInSeconds) {
    return 'the answer has no valid expires_in (a positive number of seconds up to one day)';
  }
  const fields: TokenFields = { accessToken, expiresInSeconds: expires };
  const refreshToken = record['refresh_token'];
  if (typeof refreshToken === 'string' && refreshToken !== '') fields.refreshToken = refreshToken;
  const idToken = record['id_token'];
  if (typeof idToken === 'string' && idToken !== '') fields.idToken = idToken;
  return fields;
}

/** Creates the OAuth client bound to one settings object. */
export function createOAuthClient(settings: GoogleSettings, dependencies: OAuthClientDependencies): OAuthClient {
  const { proxies, accountProxy } = dependencies;
  /** The options of one call to `url`: through the proxy that applies to it, if any. */
  const callOptions = (url: string, signal?: AbortSignal) => {
    const proxy = proxies?.choose(url, accountProxy);
    return {
      timeoutMs: settings.timeoutMs,
      userAgent: settings.userAgent,
      signal,
      dispatcher:
        proxy === undefined || proxies === undefined ? dependencies.dispatcher : proxies.sharedDispatcher(proxy),
      explainFailure: (error: unknown) => proxies?.proxyFailure(error, proxy),
    };
  };
  /** A token-endpoint call with this client's credentials; throws TransportError when no answer came. */
  const postToken = (grant: Record<string, string>, signal?: AbortSignal): Promise<HttpResult> =>
    postForm(
      settings.tokenUrl,
      { client_id: settings.clientId, client_secret: settings.clientSecret, ...grant },
      callOptions(settings.tokenUrl, signal),
    );

  async function exchangeCode(params: {
    code: string;
    redirectUri: string;
    codeVerifier: string;
  }): Promise<ExchangedTokens> {
    const secrets = [params.code, params.codeVerifier, settings.clientSecret];
    let result: HttpResult;
    try {
      result = await postToken({
        code: params.code,
        code_verifier: params.codeVerifier,
        redirect_uri: params.redirectUri,
        grant_type: 'authorization_code',
      });
    } catch (error) {
      if (isProxyFailure(error)) throw error;
      throw new GatewayError('AGW_OAUTH_FAILED', `Token exchange failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (result.status < 200 || result.status >= 300) {
      throw new GatewayError(
        'AGW_OAUTH_FAILED',
        `Token exchange failed (HTTP ${result.status}): ${excerpt(scrubText(result.text, secrets))}`,
        { upstreamStatus: result.status },
      );
    }
    const fields = readTokenBody(result.text);
    if (typeof fields === 'string') {
      throw new GatewayError('AGW_OAUTH_FAILED', `Token exchange failed: ${fields}`, { upstreamStatus: result.status });
    }
    if (fields.refreshToken === undefined) {
      throw new GatewayError(
        'AGW_OAUTH_FAILED',
        "Google did not return a refresh token (it only sends one on the first consent). Revoke agw's access at " +
          'https://myaccount.google.com/permissions, then sign in again.',
      );
    }
    const tokens: ExchangedTokens = {
      accessToken: fields.accessToken,
      refreshToken: fields.refreshToken,
      expiresInSeconds: fields.expiresInSeconds,
      oauthClientKey: settings.oauthClientKey,
    };
    if (fields.idToken !== undefined) tokens.idToken = fields.idToken;
    return tokens;
  }

  async function refreshAccessToken(params: { refreshToken: string; signal?: AbortSignal }): Promise<RefreshedToken> {
    const secrets = [params.refreshToken, settings.clientSecret];
    let result: HttpResult;
    try {
      result = await postToken({ refresh_token: params.refreshToken, grant_type: 'refresh_token' }, params.signal);
    } catch (error) {
      if (isProxyFailure(error)) throw error;
      const message = error instanceof TransportError ? error.message : 'network error';
      throw new GatewayError('AGW_REFRESH_FAILED', `Refresh request failed: ${message}`, {
        details: { reason: error instanceof TransportError ? error.kind : 'network' },
      });
    }
    if (result.status < 200 || result.status >= 300) {
      const body = excerpt(scrubText(result.text, secrets), 600);
      // invalid_grant is Google's word for "this refresh token is dead" (revoked, expired, password changed):
      // retrying cannot help, so it gets its own code and the pool disables the account.
      const revoked = result.text.includes('invalid_grant');
      throw new GatewayError(revoked ? 'AGW_REFRESH_REVOKED' : 'AGW_REFRESH_FAILED', `Refresh failed: ${body}`, {
        upstreamStatus: result.status,
      });
    }
    const fields = readTokenBody(result.text);
    if (typeof fields === 'string') {
      throw new GatewayError('AGW_REFRESH_FAILED', `Refresh failed: ${fields}`, { upstreamStatus: result.status });
    }
    const refreshed: RefreshedToken = {
      accessToken: fields.accessToken,
      expiresInSeconds: fields.expiresInSeconds,
      oauthClientKey: settings.oauthClientKey,
    };
    if (fields.refreshToken !== undefined && fields.refreshToken !== params.refreshToken) {
      refreshed.refreshToken = fields.refreshToken;
    }
    if (fields.idToken !== undefined) refreshed.idToken = fields.idToken;
    return refreshed;
  }

  async function fetchUserInfo(accessToken: string, signal?: AbortSignal): Promise<UserInfo> {
    let result: HttpResult;
    try {
      result = await getText(settings.userinfoUrl, {
        ...callOptions(settings.userinfoUrl, signal),
        headers: { authorization: `Bearer ${accessToken}` },
      });
    } catch (error) {
      if (isProxyFailure(error)) throw error;
      throw new GatewayError('AGW_OAUTH_FAILED', `User info request failed: ${(error as Error).message}`);
    }
    if (result.status === 401) {
      // Kept distinguishable so a caller can refresh the access token and try once more.
      throw new GatewayError(
        'AGW_UPSTREAM_UNAUTHORIZED',
        'User info request was rejected: the access token is invalid',
        {
          upstreamStatus: 401,
        },
      );
    }
    if (result.status < 200 || result.status >= 300) {
      throw new GatewayError(
        'AGW_OAUTH_FAILED',
        `User info request failed (HTTP ${result.status}): ${excerpt(scrubText(result.text, [accessToken]))}`,
        { upstreamStatus: result.status },
      );
    }
    const body = parseJson(result.text);
    const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const email = record['email'];
    if (typeof email !== 'string' || email === '') {
      throw new GatewayError('AGW_OAUTH_FAILED', 'User info answer has no email address');
    }
    const info: UserInfo = { email };
    const name = displayNameOf(record);
    if (name !== undefined) info.name = name;
    return info;
  }

  return {
    buildAuthorizationUrl: (params) => buildAuthorizationUrl(settings, params),
    exchangeCode,
    refreshAccessToken,
    fetchUserInfo,
  };
}

/** `name`, else `given_name family_name` (either alone if only one is set), else undefined. */
export function displayNameOf(record: Record<string, unknown>): string | undefined {
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
  const name = text(record['name']);
  if (name !== undefined) return name;
  const parts = [text(record['given_name']), text(record['family_name'])].filter((part) => part !== undefined);
  return parts.length > 0 ? parts.join(' ') : undefined;
}
