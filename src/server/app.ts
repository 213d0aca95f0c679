/**
 * The Fastify application: body parsing with clear errors, client and admin authentication, every route, errors
 * in each client's dialect, and one request-log row plus metrics per generation request.
 */
import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { GatewayError } from '../errors/catalogue.ts';
import { type LiftedScope, openLiftedScope } from '../upstream/lifted-bytes.ts';
import { createAccessGuard, fromFastifyError } from './access-guard.ts';
import { registerAdminApi } from './admin/register.ts';
import { createAdminSessions } from './admin/sessions.ts';
import type { Binding } from './bind-address.ts';
import { handleClientError } from './client-error.ts';
import { dialectOf, sendError } from './dialect.ts';
import { type BodyStream, readJsonBody, scannedBodyBytes } from './json-body.ts';
import { recordRequest } from './request-record.ts';
import { registerAnthropicRoutes } from './routes/anthropic.ts';
import { registerConsole } from './routes/console.ts';
import { registerGeminiRoutes } from './routes/gemini.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerOpenAiRoutes } from './routes/openai.ts';
import { registerOpenAiCompletionsRoutes } from './routes/openai-completions.ts';
import { registerOpenAiImagesRoutes } from './routes/openai-images.ts';
import { registerOpenAiResponsesRoutes } from './routes/openai-responses.ts';
import type { GatewayServices } from './services.ts';

export interface AppOptions {
  /** Model names the accounts' quota snapshots list, kept up to date by the runtime (no disk reads per request). */
  accountModelNames: () => readonly string[];
  /** Directory of the built console, when there is one. */
  consoleDirectory?: string;
  /** The addresses the server holds (known once it listens; authentication and Host checks follow it). */
  binding: () => Binding;
}

export interface RegisteredRoute {
  method: string;
  /** The route pattern, e.g. `/api/accounts/:id`. */
  url: string;
}

const routeTables = new WeakMap<FastifyInstance, readonly RegisteredRoute[]>();

/** Every route the app registered (tests check each one's access decision; docs/api.md lists them). */
export function registeredRoutes(app: FastifyInstance): readonly RegisteredRoute[] {
  return routeTables.get(app) ?? [];
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
    clientErrorHandler: handleClientError,
    // A path that is not valid percent-encoding matches no route; say so in the dialect it aimed at.
    frameworkErrors: (error, request, reply) => {
      const path = request.url.split('?')[0] ?? request.url;
      const message =
        error.code === 'FST_ERR_BAD_URL'
          ? `the URL path ${JSON.stringify(path.slice(0, 200))} is not valid percent-encoding`
          : error.message;
      return sendError(reply, dialectOf(decodedPath(request.url)), new GatewayError('AGW_INVALID_REQUEST', message));
    },
  });
  // Fastify's own parser gathers the body into one buffer, decodes it and scans every character: seconds for an
  // image prompt. This one reads the stream and keeps base64 images as the bytes received (json-body.ts).
  app.removeContentTypeParser('application/json');
  // A body that may be large gets a scope for its lifted images, released when its response closes (finished or
  // cut off), never before: retries and fallbacks send the images again until then.
  const liftedScopes = new WeakMap<object, LiftedScope>();
  app.addContentTypeParser('application/json', (request: FastifyRequest, payload: IncomingMessage) =>
    readJsonBody(payload as BodyStream, {
      limit: request.routeOptions.bodyLimit ?? startConfig.server.bodyLimitBytes,
      contentLength: contentLengthOf(request.headers['content-length']),
      scope: liftedScopes.get(request.raw),
    }),
  );
  app.addHook('preParsing', (request, reply, payload, done) => {
    const length = contentLengthOf(request.headers['content-length']);
    const json = request.headers['content-type']?.toLowerCase().startsWith('application/json') === true;
    if (json && (length === undefined || length >= scannedBodyBytes)) {
      const scope = openLiftedScope();
      liftedScopes.set(request.raw, scope);
      reply.raw.once('close', () => scope.release());
    }
    done(null, payload);
  });
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  routeTables.set(app, routes);
  const sessions = createAdminSessions({ now: services.now });
  const guard = createAccessGuard({ services, sessions, binding: options.binding });

  app.addHook('preHandler', async (request) => {
    if (typeof request.body === 'object' && request.body !== null && exceedsDepth(request.body, maxBodyDepth)) {
      throw new GatewayError('AGW_INVALID_REQUEST', `the request body nests deeper than ${maxBodyDepth} levels`);
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'POST' && request.routeOptions.url === '/api/session') {
      const password = (request.body as { password?: unknown } | undefined)?.password;
      if (reply.statusCode === 401 || reply.statusCode < 300) {
        guard.recordLogin(request, reply.statusCode < 300, typeof password === 'string' ? password : undefined);
      }
    }
    const errorCode = reply.getHeader('x-agw-error-code');
    recordRequest(services, request, {
      status: reply.statusCode,
      totalMs: reply.elapsedTime,
      ...(typeof errorCode === 'string' ? { errorCode } : {}),
    });
  });

  // Only for errors outside every scope (each scope answers its own in its dialect).
  app.setErrorHandler((error: FastifyError, request, reply) =>
    sendError(reply, dialectOf(decodedPath(request.url)), GatewayError.is(error) ? error : fromFastifyError(error)),
  );

  app.setNotFoundHandler((request, reply) => {
    const path = decodedPath(request.url);
    return sendError(reply, dialectOf(path), new GatewayError('AGW_NOT_FOUND', `no route ${request.method} ${path}`));
  });

  // One encapsulated scope per group of routes: its hook decides access from the route that matched.
  await app.register(async (scope) => {
    guard.healthScope(scope);
    registerHealthRoutes(scope, services);
  });
  await app.register(async (scope) => {
    guard.clientScope(scope, 'openai');
    registerOpenAiRoutes(scope, services, options.accountModelNames);
    registerOpenAiResponsesRoutes(scope, services);
    registerOpenAiCompletionsRoutes(scope, services);
    registerOpenAiImagesRoutes(scope, services);
  });
  await app.register(async (scope) => {
    guard.clientScope(scope, 'anthropic');
    registerAnthropicRoutes(scope, services);
  });
  await app.register(async (scope) => {
    guard.clientScope(scope, 'gemini');
    registerGeminiRoutes(scope, services, options.accountModelNames);
  });
  await app.register(async (scope) => {
    guard.adminScope(scope);
    registerAdminApi(scope, services, sessions, guard);
  });
  await app.register(async (scope) => {
    guard.consoleScope(scope);
    await registerConsole(scope, options.consoleDirectory);
  });
  return app;
}

/** The path as the router sees it (percent-decoded), for choosing the dialect of an error outside every scope. */
function decodedPath(url: string): string {
  const path = url.split('?')[0] ?? url;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** A request's Content-Length, undefined when it sent none (chunked) or a nonsensical one. */
function contentLengthOf(header: string | undefined): number | undefined {
  const length = Number(header);
  return header === undefined || !Number.isSafeInteger(length) ? undefined : length;
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
