/**
 * The Fastify application: body parsing with clear errors, client and admin authentication, every route, errors
 * in each client's dialect, and one request-log row plus metrics per generation request.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { GatewayError } from '../errors/catalogue.ts';
import { registerAdminApi } from './admin/register.ts';
import { createAdminSessions } from './admin/sessions.ts';
import {
  createFailureThrottle,
  extractPresentedKey,
  rejectionMessage,
  requiresClientKey,
  secretsEqual,
} from './client-auth.ts';
import { type Dialect, dialectOf, sendError } from './dialect.ts';
import { recordRequest } from './request-record.ts';
import { registerAnthropicRoutes } from './routes/anthropic.ts';
import { registerConsole } from './routes/console.ts';
import { registerGeminiRoutes } from './routes/gemini.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerOpenAiRoutes } from './routes/openai.ts';
import type { GatewayServices } from './services.ts';

export interface AppOptions {
  /** Model names the accounts' quota snapshots list, kept up to date by the runtime (no disk reads per request). */
  accountModelNames: () => readonly string[];
  /** Directory of the built console, when there is one. */
  consoleDirectory?: string;
}

/** Fastify's own errors mapped onto the catalogue, so they too leave in the client's dialect. */
function fromFastifyError(error: FastifyError): GatewayError {
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

export async function buildApp(services: GatewayServices, options: AppOptions): Promise<FastifyInstance> {
  const startConfig = services.config();
  const app = Fastify({
    bodyLimit: startConfig.server.bodyLimitBytes,
    // Requests are logged once, by the request log; Fastify's own per-request lines would duplicate them.
    logger: false,
    // Trust nothing about client addresses: auth throttling keys on the socket peer.
    trustProxy: false,
    forceCloseConnections: true,
  });
  const throttle = createFailureThrottle({
    limitPerMinute: startConfig.auth.failuresBeforeThrottle,
    now: services.now,
  });
  const sessions = createAdminSessions({ now: services.now });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? request.url;
    const dialect = dialectOf(path);
    const config = services.config();
    if (dialect === 'admin') {
      if (path === '/api/health') return;
      if (path === '/api/session') {
        // The route checks the password; a throttled address is refused before it can guess again.
        if (request.method === 'POST') return refuseIfThrottled(request, reply, 'admin');
        return;
      }
      if (sessions.isValid(request.headers.cookie)) return;
      const throttled = refuseIfThrottled(request, reply, 'admin');
      if (throttled) return throttled;
      const presented = extractPresentedKey(request.headers, undefined);
      if (presented && secretsEqual(presented.value, config.auth.adminSecret)) return;
      return rejectAuth(
        request,
        reply,
        'admin',
        'admin credentials required: log in through POST /api/session or send the admin password as Authorization: Bearer',
        presented?.value,
      );
    }
    const needsKey =
      path === '/metrics'
        ? !config.auth.metricsOpen && config.auth.effectiveMode !== 'off'
        : requiresClientKey(config.auth.effectiveMode, request.method, path);
    // The OAuth callback carries no key (Google's redirect); the flow's state check protects it instead.
    if (!needsKey || isConsolePath(path) || path === '/auth/callback') return;
    const throttled = refuseIfThrottled(request, reply, dialect);
    if (throttled) return throttled;
    const presented = extractPresentedKey(request.headers, request.query);
    if (presented && secretsEqual(presented.value, config.auth.apiKey)) {
      throttle.recordSuccess(request.ip);
      return;
    }
    return rejectAuth(
      request,
      reply,
      dialect,
      rejectionMessage(presented, config.auth.apiKey === ''),
      presented?.value,
    );
  });

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

  function rejectAuth(
    request: FastifyRequest,
    reply: FastifyReply,
    dialect: Dialect,
    message: string,
    presented: string | undefined,
  ): FastifyReply {
    throttle.recordFailure(request.ip, presented);
    return sendError(reply, dialect, new GatewayError('AGW_UNAUTHORIZED', message));
  }

  app.addHook('preHandler', async (request) => {
    if (typeof request.body === 'object' && request.body !== null && exceedsDepth(request.body, maxBodyDepth)) {
      throw new GatewayError('AGW_INVALID_REQUEST', `the request body nests deeper than ${maxBodyDepth} levels`);
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'POST' && request.url.split('?')[0] === '/api/session') {
      if (reply.statusCode === 401) {
        const password = (request.body as { password?: unknown } | undefined)?.password;
        throttle.recordFailure(request.ip, typeof password === 'string' ? password : undefined);
      } else if (reply.statusCode < 300) throttle.recordSuccess(request.ip);
    }
    const errorCode = reply.getHeader('x-agw-error-code');
    recordRequest(services, request, {
      status: reply.statusCode,
      totalMs: reply.elapsedTime,
      ...(typeof errorCode === 'string' ? { errorCode } : {}),
    });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const gatewayError = GatewayError.is(error) ? error : fromFastifyError(error);
    if (gatewayError.code === 'AGW_INTERNAL')
      services.logger.error({ err: error, route: request.url.split('?')[0] }, 'request failed');
    return sendError(reply, dialectOf(request.url), gatewayError);
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      dialectOf(request.url),
      new GatewayError('AGW_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );

  registerHealthRoutes(app, services);
  registerOpenAiRoutes(app, services, options.accountModelNames);
  registerAnthropicRoutes(app, services);
  registerGeminiRoutes(app, services, options.accountModelNames);
  registerAdminApi(app, services, sessions);
  await registerConsole(app, options.consoleDirectory);
  return app;
}

/** The console's static files are public (they hold no data; the admin API they call is protected). */
function isConsolePath(path: string): boolean {
  return path === '/' || path === '/index.html' || path.startsWith('/assets/') || path === '/favicon.svg';
}

/**
 * JSON nesting accepted in a request body. Real requests (tool schemas included) stay far below; a deeper body
 * would overflow the stack when translated or re-serialised for Google, which surfaced as an upstream failure.
 */
const maxBodyDepth = 256;

/** Whether `value` nests deeper than `limit`, walked without recursion. */
function exceedsDepth(value: object, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof current !== 'object' || current === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}
