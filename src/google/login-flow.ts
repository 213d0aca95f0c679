/**
 * OAuth sign-in flows (accounts-tokens-pool.md §3.3) with what the reference skipped: PKCE, and a `state` check
 * on every path (weakness 23).
 *
 * - `createOAuthFlow` + `verifyCallback`: pure pieces the admin API uses for the web-console flow.
 * - `startLoopbackLogin`: the CLI flow — a one-shot listener on 127.0.0.1:<ephemeral>/oauth-callback.
 * - `completeFromPastedRedirect`: `--no-browser`, where the user pastes the address the browser ended on.
 *
 * A callback with a wrong state is answered 400 and the login KEEPS WAITING for the right one: a stray request
 * (an old browser tab from an earlier attempt) must not kill the sign-in in progress, and a forged one gains
 * nothing because its code is never exchanged. After `maxStateMismatches` wrong callbacks the login fails with
 * AGW_OAUTH_STATE_MISMATCH, so a misbehaving page cannot keep it alive forever.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayError } from '../errors/catalogue.ts';
import { buildAuthorizationUrl, createPkcePair, type ExchangedTokens, type OAuthClient } from './oauth.ts';
import type { GoogleSettings } from './settings.ts';

export interface OAuthFlow {
  state: string;
  codeVerifier: string;
  codeChallenge: string;
  redirectUri: string;
  /** The address the user opens. */
  url: string;
  /** Unix milliseconds; lets a caller expire abandoned flows. */
  createdAtMs: number;
}

/** A fresh flow (random state, PKCE pair) for the given redirect URI. No I/O. */
export function createOAuthFlow(
  settings: GoogleSettings,
  redirectUri: string,
  now: () => number = Date.now,
): OAuthFlow {
  const state = randomBytes(24).toString('base64url');
  const pkce = createPkcePair();
  return {
    state,
    codeVerifier: pkce.codeVerifier,
    codeChallenge: pkce.codeChallenge,
    redirectUri,
    url: buildAuthorizationUrl(settings, { redirectUri, state, codeChallenge: pkce.codeChallenge }),
    createdAtMs: now(),
  };
}

type CallbackQuery = URLSearchParams | Record<string, string | string[] | undefined>;

function queryValue(query: CallbackQuery, name: string): string | undefined {
  const value = query instanceof URLSearchParams ? (query.get(name) ?? undefined) : query[name];
  return Array.isArray(value) ? value[0] : value;
}

function sameState(expected: string, received: string): boolean {
  const left = Buffer.from(expected);
  const right = Buffer.from(received);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Checks a callback's query against the flow: the state first (so nothing else of a forged request is acted
 * upon), then Google's `error`, then the code. Answers the code, or throws AGW_OAUTH_STATE_MISMATCH /
 * AGW_OAUTH_FAILED.
 */
export function verifyCallback(flow: Pick<OAuthFlow, 'state'>, query: CallbackQuery): { code: string } {
  const state = queryValue(query, 'state');
  if (state === undefined || !sameState(flow.state, state)) {
    throw new GatewayError(
      'AGW_OAUTH_STATE_MISMATCH',
      'The sign-in answer does not belong to this sign-in (state mismatch); it was ignored. ' +
        'Use the address from the latest sign-in attempt.',
    );
  }
  const googleError = queryValue(query, 'error');
  if (googleError !== undefined) {
    const safe = googleError.replace(/[^\w.-]/g, '').slice(0, 64);
    throw new GatewayError('AGW_OAUTH_FAILED', `Google did not grant access (${safe}); start the sign-in again.`);
  }
  const code = queryValue(query, 'code');
  if (code === undefined || code === '') {
    throw new GatewayError('AGW_OAUTH_FAILED', 'The sign-in answer carries no authorization code.');
  }
  return { code };
}

export interface LoopbackLoginOptions {
  settings: GoogleSettings;
  /** How long to wait for the user, milliseconds. */
  timeoutMs: number;
  /** Called once with the sign-in address (the CLI opens a browser or prints it). */
  openBrowser?: (url: string) => void;
  /** Exchanges the code (the caller's client, which owns its agent). */
  oauth: Pick<OAuthClient, 'exchangeCode'>;
  /** Wrong-state callbacks tolerated before the login fails; default 5. */
  maxStateMismatches?: number;
}

export interface LoopbackLogin {
  url: string;
  redirectUri: string;
  flow: OAuthFlow;
  /** The exchanged tokens; nothing is stored. Rejects with AGW_OAUTH_TIMEOUT / _STATE_MISMATCH / _FAILED. */
  result: Promise<ExchangedTokens>;
  /** Stops waiting; `result` rejects and the listener closes. */
  cancel(): void;
  /** Used by completeFromPastedRedirect: exchanges an already verified code. */
  submitVerifiedCode(code: string): Promise<ExchangedTokens>;
}

const callbackPath = '/oauth-callback';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function sendPage(response: ServerResponse, status: number, title: string, text: string, onSent?: () => void): void {
  const page =
    `<!doctype html><html><head><meta charset="utf-8"><title>agw: ${escapeHtml(title)}</title></head>` +
    `<body style="font-family:sans-serif;margin:3em"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`;
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  response.end(page, onSent);
}

/**
 * Starts the loopback sign-in: listens on 127.0.0.1 (ephemeral port), builds the PKCE authorization URL, calls
 * `openBrowser`, and waits for Google's redirect. The listener answers the right callback once, then closes.
 */
export async function startLoopbackLogin(options: LoopbackLoginOptions): Promise<LoopbackLogin> {
  const oauth = options.oauth;
  const maxMismatches = options.maxStateMismatches ?? 5;
  let resolveResult!: (tokens: ExchangedTokens) => void;
  let rejectResult!: (error: unknown) => void;
  const result = new Promise<ExchangedTokens>((resolve, reject) => {
    resolveResult = resolve;
    rejectResult = reject;
  });
  // The caller may only ever await the result after cancel(); never let that be an unhandled rejection.
  result.catch(() => undefined);

  let phase: 'waiting' | 'exchanging' | 'done' = 'waiting';
  let mismatches = 0;
  let timer: NodeJS.Timeout | undefined;
  const server = createServer();

  const closeListener = () => {
    if (timer) clearTimeout(timer);
    server.close();
    server.closeAllConnections();
  };
  const fail = (error: GatewayError) => {
    if (phase === 'done') return;
    phase = 'done';
    rejectResult(error);
    closeListener();
  };

  let flow!: OAuthFlow;
  async function exchange(code: string): Promise<ExchangedTokens> {
    if (phase !== 'waiting') {
      throw new GatewayError('AGW_OAUTH_FAILED', 'This sign-in has already been completed or stopped.');
    }
    phase = 'exchanging';
    try {
      const tokens = await oauth.exchangeCode({ code, redirectUri: flow.redirectUri, codeVerifier: flow.codeVerifier });
      phase = 'done';
      resolveResult(tokens);
      return tokens;
    } catch (error) {
      phase = 'done';
      rejectResult(error);
      throw error;
    } finally {
      // Give the page being answered a moment to flush; closeListener runs from its callback too.
      if (timer) clearTimeout(timer);
    }
  }

  server.on('request', (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== callbackPath) {
      sendPage(response, 404, 'Not found', 'This address only serves the agw sign-in callback.');
      return;
    }
    if (phase !== 'waiting') {
      sendPage(response, 409, 'Sign-in already handled', 'This sign-in has already been completed or stopped.');
      return;
    }
    let code: string;
    try {
      code = verifyCallback(flow, url.searchParams).code;
    } catch (error) {
      const gatewayError = error as GatewayError;
      sendPage(response, 400, 'Sign-in failed', `${gatewayError.message} (${gatewayError.code})`);
      if (gatewayError.code !== 'AGW_OAUTH_STATE_MISMATCH') fail(gatewayError);
      else if (++mismatches >= maxMismatches) {
        fail(
          new GatewayError(
            'AGW_OAUTH_STATE_MISMATCH',
            `${mismatches} sign-in answers carried a state that does not belong to this sign-in; stopped waiting.`,
          ),
        );
      }
      return;
    }
    exchange(code).then(
      () => sendPage(response, 200, 'Signed in', 'agw received the sign-in. You can close this tab.', closeListener),
      (error: unknown) => {
        const message = GatewayError.is(error) ? error.message : 'The token exchange failed.';
        sendPage(response, 502, 'Sign-in failed', message, closeListener);
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const redirectUri = `http://127.0.0.1:${port}${callbackPath}`;
  flow = createOAuthFlow(options.settings, redirectUri);

  timer = setTimeout(() => {
    if (phase !== 'waiting') return;
    const seconds = Math.round(options.timeoutMs / 1000);
    const note = mismatches > 0 ? ` ${mismatches} answer(s) with a wrong state were ignored.` : '';
    fail(
      new GatewayError(
        'AGW_OAUTH_TIMEOUT',
        `Nobody completed the Google sign-in within ${seconds} s; run the login again.${note}`,
      ),
    );
  }, options.timeoutMs);

  if (options.openBrowser) {
    try {
      options.openBrowser(flow.url);
    } catch {
      // The CLI also prints the address, so a browser that cannot be opened is not fatal.
    }
  }

  return {
    url: flow.url,
    redirectUri,
    flow,
    result,
    cancel: () => fail(new GatewayError('AGW_OAUTH_FAILED', 'The sign-in was cancelled.')),
    submitVerifiedCode: async (code) => {
      try {
        return await exchange(code);
      } finally {
        closeListener();
      }
    },
  };
}

/**
 * `--no-browser`: the user signs in elsewhere and pastes the address the browser ended on (it fails to load
 * there, which is expected). The state is checked; a wrong paste throws and the login keeps waiting.
 */
export async function completeFromPastedRedirect(pastedUrl: string, login: LoopbackLogin): Promise<ExchangedTokens> {
  let url: URL;
  try {
    url = new URL(pastedUrl.trim());
  } catch {
    throw new GatewayError(
      'AGW_INVALID_REQUEST',
      'Paste the whole address from the browser, starting with http://127.0.0.1:…/oauth-callback?',
    );
  }
  const { code } = verifyCallback(login.flow, url.searchParams);
  return login.submitVerifiedCode(code);
}
