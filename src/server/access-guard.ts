/**
 * Who may call what. Every group of routes is registered inside its own encapsulated Fastify scope, and each
 * scope gets exactly one onRequest hook from here. The decision is therefore made from the route the router
 * actually matched — never from the raw URL, which the router decodes (`/%61pi/accounts` IS `/api/accounts`) —
 * and a request that matches no route reaches no handler at all.
 *
 * - client scopes (OpenAI, Anthropic, Gemini): the API key or a user key, as the effective auth mode requires, then
 *   the user key's model rule once the body is parsed;
 * - the health scope: /healthz and /health only in `strict`, /metrics unless `agw.metrics_open`;
 * - the admin scope (/api, /auth/callback): known Host, no cross-site writes, then a console session or the admin
 *   password (the API key when no password is set; never a user key); /api/health, the login route and the OAuth
 *   callback (which its state check protects) excepted;
 * - the console scope: static files, public, but only under a known Host.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AuthMode, resolveAuthMode } from '../config/gateway-config.ts';
import { GatewayError } from '../errors/catalogue.ts';
import type { AdminSessions } from './admin/sessions.ts';
import type { Binding } from './bind-address.ts';
import {
  createFailureThrottle,
  extractPresentedKey,
  type PresentedKey,
  rejectionMessage,
  secretsEqual,
} from './client-auth.ts';
import { type Dialect, sendError } from './dialect.ts';
import { crossSiteProblem, hostAllowed } from './host-check.ts';
import type { GatewayServices } from './services.ts';
import { checkUserKey, userKeyModelRefusal } from './user-key-access.ts';

export type ClientDialect = Exclude<Dialect, 'admin'>;

export interface AccessGuard {
  /** Routes of one client API: the API key as the auth mode requires; errors in that dialect. */
  clientScope(scope: FastifyInstance, dialect: ClientDialect): void;
  /** /healthz, /health and /metrics. */
  healthScope(scope: FastifyInstance): void;
  /** The admin API and the OAuth callback. */
  adminScope(scope: FastifyInstance): void;
  /** The console's static files. */
  consoleScope(scope: FastifyInstance): void;
  /** The auth mode in force for the binding the server holds now. */
  effectiveMode(): Exclude<AuthMode, 'auto'>;
  /** Counts a wrong admin password sent to the login route (the route itself checks it). */
  recordLogin(request: FastifyRequest, succeeded: boolean, password: string | undefined): void;
}

/** Admin routes that need no credentials: matched route patterns, not URL prefixes. */
const openAdminRoutes = new Set(['/api/health', '/auth/callback']);
const loginRoute = '/api/session';
const healthRoutes = new Set(['/healthz', '/health']);

export function createAccessGuard(options: {
  services: GatewayServices;
  sessions: AdminSessions;
  binding: () => Binding;
}): AccessGuard {
  const { services, sessions } = options;
  const throttle = createFailureThrottle({
    limitPerMinute: services.config().auth.failuresBeforeThrottle,
    now: services.now,
  });
  const effectiveMode = (): Exclude<AuthMode, 'auto'> =>
    resolveAuthMode(services.config().auth.mode, options.binding().loopbackOnly);

  /** The matched route's pattern, e.g. `/api/accounts/:id`. */
  const routeOf = (request: FastifyRequest): string => request.routeOptions.url ?? '';

  /**
   * Past the failure limit an address is refused before its credentials are compared, the right ones included:
   * otherwise a guesser would still learn, at full speed, which guess is right.
   */
  function refuseIfThrottled(request: FastifyRequest, reply: FastifyReply, dialect: Dialect): FastifyReply | undefined {
    const wait = throttle.retryAfterSeconds(request.ip);
    if (wait <= 0) return undefined;
    return sendError(
      reply,
      dialect,
      new GatewayError('AGW_AUTH_THROTTLED', 'too many failed authentications; wait and try again', {
        retryAfterSeconds: wait,
      }),
    );
  }

  function reject(
    request: FastifyRequest,
    reply: FastifyReply,
    dialect: Dialect,
    message: string,
    presented: string | undefined,
  ): FastifyReply {
    throttle.recordFailure(request.ip, presented);
    return sendError(reply, dialect, new GatewayError('AGW_UNAUTHORIZED', message));
  }

  /**
   * User keys (docs/operations.md, "User keys"), asked only once the presented key is not the gateway's own API
   * key: 'accepted', a refusal sent in the caller's dialect, or undefined when the key is no user key at all.
   * `enforce` is false when the auth mode asks for no key: a known user key still names the request's log row and
   * keeps its rules, and any other key passes as before.
   */
  function answerUserKey(
    request: FastifyRequest,
    reply: FastifyReply,
    dialect: Dialect,
    presented: PresentedKey | undefined,
    options: { enforce: boolean; limits: boolean },
  ): FastifyReply | 'accepted' | undefined {
    if (presented === undefined) return undefined;
    const outcome = checkUserKey(services, request, presented.value, {
      reloadOnMiss: options.enforce,
      limits: options.limits,
    });
    if (outcome.kind === 'not-a-user-key') return undefined;
    if (outcome.kind === 'accepted') {
      if (options.enforce) throttle.recordSuccess(request.ip);
      return 'accepted';
    }
    if (outcome.badCredential) throttle.recordFailure(request.ip, presented.value);
    return sendError(reply, dialect, outcome.error);
  }

  function requireClientKey(
    request: FastifyRequest,
    reply: FastifyReply,
    dialect: Dialect,
    limits = false,
  ): FastifyReply | undefined {
    const throttled = refuseIfThrottled(request, reply, dialect);
    if (throttled) return throttled;
    const apiKey = services.config().auth.apiKey;
    const presented = extractPresentedKey(request.headers, request.query);
    if (presented && secretsEqual(presented.value, apiKey)) {
      throttle.recordSuccess(request.ip);
      return undefined;
    }
    const byUserKey = answerUserKey(request, reply, dialect, presented, { enforce: true, limits });
    if (byUserKey !== undefined) return byUserKey === 'accepted' ? undefined : byUserKey;
    return reject(request, reply, dialect, rejectionMessage(presented, apiKey === ''), presented?.value);
  }

  /** Errors raised by a scope's routes leave in the scope's dialect (the request log reads their code header). */
  function errorHandlerFor(dialect: Dialect) {
    return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const gatewayError = GatewayError.is(error) ? error : fromFastifyError(error);
      if (gatewayError.code === 'AGW_INTERNAL') {
        services.logger.error({ err: error, route: routeOf(request) }, 'request failed');
      }
      return sendError(reply, dialect, gatewayError);
    };
  }

  function refuseUnknownHost(request: FastifyRequest, reply: FastifyReply, dialect: Dialect): FastifyReply | undefined {
    if (hostAllowed(request.headers.host, options.binding())) return undefined;
    return sendError(
      reply,
      dialect,
      new GatewayError(
        'AGW_FORBIDDEN_HOST',
        'this gateway does not answer to that Host name; add it to agw.allowed_hosts if it is yours',
      ),
    );
  }

  return {
    effectiveMode,

    clientScope(scope, dialect) {
      scope.setErrorHandler(errorHandlerFor(dialect));
      scope.addHook('onRequest', async (request, reply) => {
        if (request.method === 'OPTIONS') return;
        if (effectiveMode() === 'off') {
          // No key is needed; only a request that sends a known user key is held to its rules.
          if (!services.userKeys?.size) return;
          const presented = extractPresentedKey(request.headers, request.query);
          const byUserKey = answerUserKey(request, reply, dialect, presented, { enforce: false, limits: true });
          return byUserKey === 'accepted' ? undefined : byUserKey;
        }
        return requireClientKey(request, reply, dialect, true);
      });
      scope.addHook('preHandler', async (request, reply) => {
        const refusal = userKeyModelRefusal(services, request);
        return refusal ? sendError(reply, dialect, refusal) : undefined;
      });
    },

    healthScope(scope) {
      scope.setErrorHandler(errorHandlerFor('openai'));
      scope.addHook('onRequest', async (request, reply) => {
        const mode = effectiveMode();
        if (mode === 'off') return;
        if (healthRoutes.has(routeOf(request))) {
          if (mode === 'all_except_health') return;
        } else if (services.config().auth.metricsOpen) {
          return;
        }
        return requireClientKey(request, reply, 'openai');
      });
    },

    adminScope(scope) {
      scope.setErrorHandler(errorHandlerFor('admin'));
      scope.addHook('onRequest', async (request, reply) => {
        const unknownHost = refuseUnknownHost(request, reply, 'admin');
        if (unknownHost) return unknownHost;
        const crossSite = crossSiteProblem(request.method, request.headers, options.binding());
        if (crossSite) return sendError(reply, 'admin', new GatewayError('AGW_CROSS_SITE_REQUEST', crossSite));
        const route = routeOf(request);
        if (openAdminRoutes.has(route)) return;
        if (route === loginRoute) {
          // The route checks the password; a throttled address is refused before it can guess again.
          return request.method === 'POST' ? refuseIfThrottled(request, reply, 'admin') : undefined;
        }
        if (sessions.isValid(request.headers.cookie)) return;
        const throttled = refuseIfThrottled(request, reply, 'admin');
        if (throttled) return throttled;
        const presented = extractPresentedKey(request.headers, undefined);
        if (presented && secretsEqual(presented.value, services.config().auth.adminSecret)) return;
        return reject(
          request,
          reply,
          'admin',
          'admin credentials required: log in through POST /api/session or send the admin password as Authorization: Bearer',
          presented?.value,
        );
      });
    },

    consoleScope(scope) {
      scope.setErrorHandler(errorHandlerFor('admin'));
      scope.addHook('onRequest', async (request, reply) => refuseUnknownHost(request, reply, 'admin'));
    },

    recordLogin(request, succeeded, password) {
      if (succeeded) throttle.recordSuccess(request.ip);
      else throttle.recordFailure(request.ip, password);
    },
  };
}

/** Fastify's own errors mapped onto the catalogue, so they too leave in the client's dialect. */
export function fromFastifyError(error: FastifyError): GatewayError {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError(
        'AGW_BODY_TOO_LARGE',
        'the request body is larger than the configured limit (agw.body_limit_bytes)',
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('AGW_UNSUPPORTED_MEDIA_TYPE', 'send the request body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError('AGW_INVALID_JSON', 'the request body is empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new GatewayError('AGW_INVALID_JSON', `the request body is not valid JSON: ${error.message}`);
    default:
      if (error.statusCode === 400 || error instanceof SyntaxError) {
        return new GatewayError('AGW_INVALID_JSON', `the request body is not valid JSON: ${error.message}`);
      }
      if (error.statusCode === 413) return new GatewayError('AGW_BODY_TOO_LARGE', error.message);
      if (error.statusCode === 415) return new GatewayError('AGW_UNSUPPORTED_MEDIA_TYPE', error.message);
      return new GatewayError('AGW_INTERNAL', error.message, { cause: error });
  }
}
