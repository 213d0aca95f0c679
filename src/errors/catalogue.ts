/**
 * The one error catalogue. Every error agw reports — to a CLI user, an API client or the admin console — has a
 * stable code listed here with its HTTP status, whether retrying can help, and the scope it belongs to.
 * `test/errors/catalogue.test.ts` checks that every code is documented in docs/errors.md.
 *
 * Scopes: `request` (the caller's input), `account` (one pool account), `pool` (the pool as a whole),
 * `upstream` (Google), `store` (the data directory), `config`, `auth` (client or admin credentials), `internal`.
 */
export type ErrorScope = 'request' | 'account' | 'pool' | 'upstream' | 'store' | 'config' | 'auth' | 'internal';

export interface ErrorDefinition {
  readonly status: number;
  readonly retryable: boolean;
  readonly scope: ErrorScope;
  /** What the code means, in one line; docs/errors.md explains more. */
  readonly summary: string;
}

export const errorCatalogue = {
  AGW_INVALID_REQUEST: {
    status: 400,
    retryable: false,
    scope: 'request',
    summary: 'The request body is malformed or has wrong types.',
  },
  AGW_INVALID_JSON: { status: 400, retryable: false, scope: 'request', summary: 'The request body is not valid JSON.' },
  AGW_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retryable: false,
    scope: 'request',
    summary: 'The request body is not application/json.',
  },
  AGW_HEADERS_TOO_LARGE: {
    status: 431,
    retryable: false,
    scope: 'request',
    summary: 'The request headers are larger than the server accepts.',
  },
  AGW_BODY_TOO_LARGE: {
    status: 413,
    retryable: false,
    scope: 'request',
    summary: 'The request body exceeds the configured limit.',
  },
  AGW_CLIENT_CLOSED: {
    status: 499,
    retryable: false,
    scope: 'request',
    summary: 'The client closed the connection before the answer was complete (request log and metrics only).',
  },
  AGW_NOT_FOUND: { status: 404, retryable: false, scope: 'request', summary: 'No such route, model or resource.' },
  AGW_METHOD_NOT_ALLOWED: {
    status: 405,
    retryable: false,
    scope: 'request',
    summary: 'The route exists but not for this method.',
  },
  AGW_UNAUTHORIZED: {
    status: 401,
    retryable: false,
    scope: 'auth',
    summary: 'Missing or wrong API key or admin credentials.',
  },
  AGW_FORBIDDEN_HOST: {
    status: 403,
    retryable: false,
    scope: 'auth',
    summary: 'The admin API or console was addressed under a Host name this gateway does not answer to.',
  },
  AGW_CROSS_SITE_REQUEST: {
    status: 403,
    retryable: false,
    scope: 'auth',
    summary: 'A state-changing admin request came from another site or without a JSON body or the admin header.',
  },
  AGW_AUTH_THROTTLED: {
    status: 429,
    retryable: true,
    scope: 'auth',
    summary: 'Too many failed authentication attempts from this address.',
  },
  AGW_KEY_REVOKED: {
    status: 401,
    retryable: false,
    scope: 'auth',
    summary: 'The user key was revoked; the administrator can issue a new one.',
  },
  AGW_KEY_EXPIRED: {
    status: 401,
    retryable: false,
    scope: 'auth',
    summary: 'The user key is past its expiry; the administrator can issue a new one.',
  },
  AGW_KEY_IP_NOT_ALLOWED: {
    status: 403,
    retryable: false,
    scope: 'auth',
    summary: "The user key may not be used from the client's address (its allowed addresses).",
  },
  AGW_KEY_MODEL_NOT_ALLOWED: {
    status: 403,
    retryable: false,
    scope: 'auth',
    summary: 'The user key may not use the requested model (its allowed models).',
  },
  AGW_KEY_RATE_LIMITED: {
    status: 429,
    retryable: true,
    scope: 'auth',
    summary: 'The user key sent its requests-per-minute limit; Retry-After says when the next one is accepted.',
  },
  AGW_KEY_TOKEN_LIMIT: {
    status: 429,
    retryable: true,
    scope: 'auth',
    summary: 'The user key used its tokens-per-day limit; Retry-After is the time left until 00:00 UTC.',
  },
  AGW_FORBIDDEN_URL: {
    status: 400,
    retryable: false,
    scope: 'request',
    summary: 'A remote URL in the request is not allowed (remote fetch disabled, or a loopback/private address).',
  },
  AGW_NO_ACCOUNTS: {
    status: 503,
    retryable: false,
    scope: 'pool',
    summary: 'The pool has no usable account (none added, or all disabled).',
  },
  AGW_ALL_ACCOUNTS_LIMITED: {
    status: 429,
    retryable: true,
    scope: 'pool',
    summary: 'Every account is cooling down for this model; Retry-After gives the shortest wait.',
  },
  AGW_ATTEMPTS_EXHAUSTED: {
    status: 503,
    retryable: true,
    scope: 'pool',
    summary: 'Every attempt of the rotation loop failed.',
  },
  AGW_DEADLINE_EXCEEDED: {
    status: 504,
    retryable: true,
    scope: 'pool',
    summary: 'The request ran out of its total time budget.',
  },
  AGW_POISONED_REQUEST: {
    status: 400,
    retryable: false,
    scope: 'request',
    summary:
      'The same request was rejected by several accounts in a row; it is failed alone and no account is cooled down.',
  },
  AGW_REFRESH_REVOKED: {
    status: 503,
    retryable: false,
    scope: 'account',
    summary:
      'A refresh token was rejected with invalid_grant: likely revoked or expired; the account was disabled and must be re-added.',
  },
  AGW_REFRESH_FAILED: {
    status: 503,
    retryable: true,
    scope: 'account',
    summary: 'Refreshing an access token failed for a transient reason; the account cools down.',
  },
  AGW_ACCOUNT_PROXY_FAILED: {
    status: 502,
    retryable: true,
    scope: 'account',
    summary:
      "An outbound proxy (the account's own, or the global one) could not be reached or refused the tunnel; the account cools down and another one is tried.",
  },
  AGW_PROJECT_UNRESOLVED: {
    status: 503,
    retryable: true,
    scope: 'account',
    summary: 'The account has no Cloud Code project and none could be resolved.',
  },
  AGW_UPSTREAM_BAD_REQUEST: {
    status: 400,
    retryable: false,
    scope: 'upstream',
    summary: 'Google rejected the request as invalid.',
  },
  AGW_UPSTREAM_RATE_LIMITED: { status: 429, retryable: true, scope: 'upstream', summary: 'Google answered 429.' },
  AGW_UPSTREAM_UNAUTHORIZED: {
    status: 502,
    retryable: true,
    scope: 'upstream',
    summary: 'Google rejected the access token.',
  },
  AGW_UPSTREAM_FORBIDDEN: {
    status: 502,
    retryable: true,
    scope: 'upstream',
    summary: 'Google answered 403 for the account.',
  },
  AGW_UPSTREAM_VALIDATION_REQUIRED: {
    status: 502,
    retryable: true,
    scope: 'upstream',
    summary: 'Google asks the account owner to verify the account (403 VALIDATION_REQUIRED).',
  },
  AGW_UPSTREAM_NOT_FOUND: {
    status: 404,
    retryable: false,
    scope: 'upstream',
    summary: 'Google does not know the model or method.',
  },
  AGW_UPSTREAM_SERVER_ERROR: {
    status: 502,
    retryable: true,
    scope: 'upstream',
    summary: 'Google answered 5xx/529, or 200 with an error body.',
  },
  AGW_UPSTREAM_UNREACHABLE: {
    status: 502,
    retryable: true,
    scope: 'upstream',
    summary: 'No upstream endpoint could be reached (connection refused, reset, DNS).',
  },
  AGW_UPSTREAM_TIMEOUT: {
    status: 504,
    retryable: true,
    scope: 'upstream',
    summary: 'Google did not answer (headers or next chunk) in time.',
  },
  AGW_UPSTREAM_STREAM_BROKEN: {
    status: 502,
    retryable: true,
    scope: 'upstream',
    summary: 'The upstream stream broke after the answer had started.',
  },
  AGW_UPSTREAM_PROMPT_FILTERED: {
    status: 429,
    retryable: false,
    scope: 'upstream',
    summary:
      'Google answered 429/503 without any quota reason on every account tried (its prompt filter); no account is cooled down.',
  },
  AGW_UPSTREAM_CLIENT_OUTDATED: {
    status: 502,
    retryable: false,
    scope: 'upstream',
    summary:
      'Google refused the Antigravity client version agw reports (a 200 whose body says so); raise upstream.client_version.',
  },
  AGW_UPSTREAM_INVALID_RESPONSE: {
    status: 502,
    retryable: true,
    scope: 'upstream',
    summary: 'Google answered with a body agw cannot read.',
  },
  AGW_OAUTH_FAILED: {
    status: 502,
    retryable: false,
    scope: 'upstream',
    summary: 'A Google OAuth call (code exchange, userinfo) failed.',
  },
  AGW_OAUTH_STATE_MISMATCH: {
    status: 400,
    retryable: false,
    scope: 'auth',
    summary: 'An OAuth callback carried a state that does not match the flow.',
  },
  AGW_OAUTH_TIMEOUT: {
    status: 408,
    retryable: true,
    scope: 'auth',
    summary: 'Nobody completed the OAuth sign-in in time.',
  },
  AGW_ACCOUNT_NOT_FOUND: { status: 404, retryable: false, scope: 'store', summary: 'No account has that id or email.' },
  AGW_ACCOUNT_FILE_CORRUPT: {
    status: 500,
    retryable: false,
    scope: 'store',
    summary: 'An account file cannot be parsed; it is left as it is and skipped.',
  },
  AGW_STORE_IO: {
    status: 500,
    retryable: true,
    scope: 'store',
    summary: 'Reading or writing the data directory failed.',
  },
  AGW_STORE_LOCKED: {
    status: 503,
    retryable: true,
    scope: 'store',
    summary: 'Another process held the data-directory lock for too long.',
  },
  AGW_CONFIG_INVALID: {
    status: 400,
    retryable: false,
    scope: 'config',
    summary: 'The configuration (file, environment or change) is invalid; every problem is listed.',
  },
  AGW_CONFIG_UNKNOWN_KEY: {
    status: 400,
    retryable: false,
    scope: 'config',
    summary: 'No configuration key has that name.',
  },
  AGW_INTERNAL: { status: 500, retryable: false, scope: 'internal', summary: 'A bug in agw; the log has the details.' },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof errorCatalogue;

export interface GatewayErrorOptions {
  /** Seconds the caller should wait before retrying (sent as Retry-After). */
  retryAfterSeconds?: number;
  /** Upstream HTTP status when the error came from Google. */
  upstreamStatus?: number;
  /** Extra machine-readable facts (never secrets, never emails in client-facing errors). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

const brand = Symbol.for('agw.error.GatewayError');

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly scope: ErrorScope;
  readonly retryAfterSeconds: number | undefined;
  readonly upstreamStatus: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const definition: ErrorDefinition = errorCatalogue[code];
    this.name = 'GatewayError';
    this.code = code;
    this.status = definition.status;
    this.retryable = definition.retryable;
    this.scope = definition.scope;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.upstreamStatus = options.upstreamStatus;
    this.details = options.details;
    Object.defineProperty(this, brand, { value: true });
  }

  /** Works across duplicated copies of this module (tests, the built package). */
  static is(value: unknown): value is GatewayError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}

/** Wraps anything thrown into a GatewayError so callers only ever handle one type. */
export function toGatewayError(value: unknown): GatewayError {
  if (GatewayError.is(value)) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new GatewayError('AGW_INTERNAL', message, { cause: value });
}
