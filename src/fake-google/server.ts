/**
 * createFakeGoogle: the loopback HTTP server, request dispatch, scripted faults and recording.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { reportedClientVersion } from './client-version.ts';
import {
  handleFetchAvailableModels,
  handleLoadCodeAssist,
  handleOnboardUser,
  handleRetrieveUserQuotaSummary,
} from './code-assist-routes.ts';
import { createControl, type FakeGoogleControl } from './control.ts';
import { handleControlRequest } from './control-http.ts';
import { generationFacts } from './envelope.ts';
import { handleCountTokens, handleGenerateContent, handleStreamGenerateContent } from './generate-routes.ts';
import {
  googleError,
  noCapacityError,
  oauthError,
  projectPermissionDeniedError,
  scriptedGoogleError,
  scriptedOauthError,
  serviceDisabledError,
} from './google-errors.ts';
import { bearerToken, readBody, resetConnection, sendBody, sleep } from './http-util.ts';
import { handleAuthorize, handleToken, handleUserinfo, tokenRequestEmail } from './oauth-routes.ts';
import { defaultClient, defaultSettings, type FakeGoogleOptions } from './options.ts';
import { CallRecorder } from './recorder.ts';
import type { Exchange, FakeRuntime } from './runtime.ts';
import { ScriptBook } from './scripts.ts';
import { createSignatureAuthority } from './signatures.ts';
import { FakeState } from './state.ts';
import type { BaseName, Endpoint } from './types.ts';

export interface FakeGoogleUrls {
  /** `http://127.0.0.1:P` */
  base: string;
  tokenUrl: string;
  authUrl: string;
  userinfoUrl: string;
  /** Call `${v1internal}:${method}` exactly as with Google. */
  v1internal: string;
  /** Two more bases on the same server, for endpoint fallback tests. */
  v1internalAlt1: string;
  v1internalAlt2: string;
  /** A base on a closed port: connecting is refused. */
  v1internalRefused: string;
  /** JSON control surface. */
  control: string;
}

export interface FakeGoogle {
  urls: FakeGoogleUrls;
  control: FakeGoogleControl;
  /** The OAuth client credentials the fake accepts. */
  client: { clientId: string; clientSecret: string };
  close(): Promise<void>;
}

const v1internalMethods = new Set<Endpoint>([
  'loadCodeAssist',
  'onboardUser',
  'fetchAvailableModels',
  'retrieveUserQuotaSummary',
  'generateContent',
  'streamGenerateContent',
  'countTokens',
]);

const basePrefixes: ReadonlyArray<[string, BaseName]> = [
  ['/v1internal:', 'primary'],
  ['/alt1/v1internal:', 'alt1'],
  ['/alt2/v1internal:', 'alt2'],
];

function classify(path: string, httpMethod: string): { endpoint: Endpoint; base: BaseName | undefined } {
  for (const [prefix, base] of basePrefixes) {
    if (path.startsWith(prefix)) {
      const method = path.slice(prefix.length) as Endpoint;
      return { endpoint: httpMethod === 'POST' && v1internalMethods.has(method) ? method : 'unknown', base };
    }
  }
  if (path === '/token' && httpMethod === 'POST') return { endpoint: 'token', base: undefined };
  if (path === '/o/oauth2/v2/auth' && httpMethod === 'GET') return { endpoint: 'auth', base: undefined };
  if ((path === '/oauth2/v2/userinfo' || path === '/oauth2/v1/userinfo') && httpMethod === 'GET') {
    return { endpoint: 'userinfo', base: undefined };
  }
  return { endpoint: 'unknown', base: undefined };
}

function parseQuery(text: string): Record<string, string> {
  const query: Record<string, string> = {};
  if (text === '') return query;
  for (const [key, value] of new URLSearchParams(text)) query[key] = value;
  return query;
}

function parseBody(
  endpoint: Endpoint,
  contentType: string | undefined,
  raw: string,
): { body: unknown; invalid: boolean } {
  if (raw === '')
    return {
      body: endpoint === 'token' ? {} : undefined,
      invalid: endpoint !== 'token' && endpoint !== 'auth' && endpoint !== 'userinfo',
    };
  if (endpoint === 'token' && !(contentType ?? '').includes('json')) return { body: parseQuery(raw), invalid: false };
  try {
    return { body: JSON.parse(raw) as unknown, invalid: false };
  } catch {
    return { body: raw, invalid: true };
  }
}

/** A port that refuses connections: bind an ephemeral port, then release it. */
async function closedPort(host: string): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, host, resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * Starts a fake of every Google endpoint the gateway uses on a loopback port.
 * @example const google = await createFakeGoogle(); google.control.addAccount({ email, refreshToken });
 */
export async function createFakeGoogle(options: FakeGoogleOptions = {}): Promise<FakeGoogle> {
  const host = options.host ?? '127.0.0.1';
  let clockOffset = 0;
  const baseNow = options.now ?? Date.now;
  const now = () => baseNow() + clockOffset;
  const client = {
    clientId: options.clientId ?? defaultClient.clientId,
    clientSecret: options.clientSecret ?? defaultClient.clientSecret,
  };
  const runtime: FakeRuntime = {
    state: new FakeState(now, options.accessTokenLifetimeSeconds ?? 3599),
    scripts: new ScriptBook(),
    recorder: new CallRecorder(options.maxRecordedCalls ?? 10_000),
    signer: createSignatureAuthority(randomBytes(32).toString('hex')),
    settings: defaultSettings(options),
    events: new EventEmitter(),
    stats: { streamsClosedByClient: 0, requestsClosedByClient: 0, responses: 0 },
    baseFailures: new Map(),
    clients: new Map([[client.clientId, client.clientSecret]]),
    now,
    random: options.random ?? Math.random,
  };
  const control = createControl(runtime, options, {
    advanceClock: (seconds) => {
      clockOffset += seconds * 1000;
    },
    resetClock: () => {
      clockOffset = 0;
    },
  });

  // Each accepted socket gets the next number, so recorded calls show which ones shared a connection.
  const connectionIds = new WeakMap<Socket, number>();
  let connections = 0;
  const connectionOf = (socket: Socket): number => {
    let id = connectionIds.get(socket);
    if (id === undefined) {
      id = ++connections;
      connectionIds.set(socket, id);
    }
    return id;
  };

  const server: Server = createServer({ keepAliveTimeout: 30_000 }, (request, response) => {
    handle(runtime, control, request, response, connectionOf).catch((error: unknown) => {
      if (!response.headersSent && !response.destroyed) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify(googleError(500, `fake-google internal error: ${String(error)}`)));
      }
    });
  });
  server.on('connection', connectionOf);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  const base = `http://${hostForUrl}:${port}`;
  const refusedPort = await closedPort(host);
  const urls: FakeGoogleUrls = {
    base,
    tokenUrl: `${base}/token`,
    authUrl: `${base}/o/oauth2/v2/auth`,
    userinfoUrl: `${base}/oauth2/v2/userinfo`,
    v1internal: `${base}/v1internal`,
    v1internalAlt1: `${base}/alt1/v1internal`,
    v1internalAlt2: `${base}/alt2/v1internal`,
    v1internalRefused: `http://${hostForUrl}:${refusedPort}/v1internal`,
    control: `${base}/__control`,
  };
  return {
    urls,
    control,
    client,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  runtime: FakeRuntime,
  control: FakeGoogleControl,
  request: IncomingMessage,
  response: ServerResponse,
  connectionOf: (socket: Socket) => number,
): Promise<void> {
  const target = request.url ?? '/';
  const queryStart = target.indexOf('?');
  const path = queryStart < 0 ? target : target.slice(0, queryStart);
  const httpMethod = request.method ?? 'GET';
  if (path.startsWith('/__control/')) {
    await handleControlRequest(control, request, response, path.slice('/__control/'.length), target);
    return;
  }
  const { endpoint, base } = classify(path, httpMethod);
  const query = queryStart < 0 ? {} : parseQuery(target.slice(queryStart + 1));
  const raw = httpMethod === 'GET' || httpMethod === 'HEAD' ? '' : await readBody({ request });
  const parsed = parseBody(endpoint, request.headers['content-type'], raw);

  let email: string | undefined;
  if (endpoint === 'token') {
    email = tokenRequestEmail(runtime, parsed.body as Record<string, string>);
  } else if (endpoint !== 'auth') {
    const token = bearerToken(request.headers.authorization);
    if (token !== undefined) email = runtime.state.emailForAccessToken(token);
  }
  const bodyModel = (parsed.body as { model?: unknown } | undefined)?.model;
  const model =
    (endpoint === 'generateContent' || endpoint === 'streamGenerateContent' || endpoint === 'countTokens') &&
    typeof bodyModel === 'string'
      ? bodyModel
      : undefined;

  const clientVersion = base === undefined ? undefined : reportedClientVersion(request.headers);
  const generating = endpoint === 'generateContent' || endpoint === 'streamGenerateContent';
  const generation = generating ? generationFacts(parsed.body) : undefined;
  const call = runtime.recorder.record({
    endpoint,
    ...(base === undefined ? {} : { base }),
    httpMethod,
    path,
    query,
    headers: request.headers,
    body: parsed.body,
    ...(email === undefined ? {} : { email }),
    ...(model === undefined ? {} : { model }),
    time: runtime.now(),
    wallTime: Date.now(),
    connectionId: connectionOf(request.socket),
    remotePort: request.socket.remotePort,
    ...(clientVersion === undefined ? {} : { clientVersion }),
    ...(generation === undefined ? {} : { generation }),
  });
  const exchange: Exchange = {
    request,
    response,
    endpoint,
    base,
    query,
    body: parsed.body,
    bodyInvalid: parsed.invalid,
    email,
    model,
    call,
    applied: undefined,
    destroyedByFake: false,
    clientVersion,
  };
  response.once('close', () => {
    if (response.writableFinished || exchange.destroyedByFake) return;
    call.outcome = 'client-closed';
    runtime.stats.requestsClosedByClient++;
    if (endpoint === 'streamGenerateContent') runtime.stats.streamsClosedByClient++;
    runtime.events.emit('client-closed', call);
    if (endpoint === 'streamGenerateContent') runtime.events.emit('stream-closed-by-client', call);
  });

  const failure = base === undefined ? undefined : runtime.baseFailures.get(base);
  if (failure !== undefined) {
    runtime.recorder.count(call);
    runtime.events.emit('call', call);
    if (failure === 'reset') resetConnection(exchange);
    else if (failure === 'refuse') {
      exchange.destroyedByFake = true;
      call.outcome = 'reset';
      request.socket.destroy();
    } else sendBody(exchange, failure.status, googleError(failure.status));
    return;
  }

  exchange.applied = runtime.scripts.apply({ endpoint, base, email, model }, runtime.random);
  runtime.recorder.count(call);
  runtime.events.emit('call', call);

  const settings = runtime.settings;
  let latency = (exchange.applied?.latencyMs ?? 0) + settings.latencyMs;
  if (settings.jitterMs > 0) latency += settings.jitterMs * runtime.random();
  if (latency > 0) await sleep(latency);
  if (response.destroyed) return;

  const terminal = exchange.applied?.terminal;
  if (terminal !== undefined) {
    applyTerminal(exchange, terminal);
    return;
  }
  await route(runtime, exchange);
}

function applyTerminal(exchange: Exchange, action: NonNullable<NonNullable<Exchange['applied']>['terminal']>): void {
  switch (action.kind) {
    case 'error': {
      const headers = action.retryAfter === undefined ? {} : { 'retry-after': String(action.retryAfter) };
      const body =
        action.body ??
        (exchange.endpoint === 'token' ? scriptedOauthError(action) : scriptedGoogleError(action, exchange.model));
      sendBody(exchange, action.status, body, headers);
      return;
    }
    case 'error-text-200': {
      const contentType =
        exchange.endpoint === 'streamGenerateContent' ? 'text/event-stream' : 'application/json; charset=UTF-8';
      sendBody(exchange, 200, action.text, {}, contentType);
      return;
    }
    case 'invalid-grant':
      sendBody(exchange, 400, oauthError('invalid_grant', 'Token has been expired or revoked.'));
      return;
    case 'no-capacity': {
      const status = action.status ?? 429;
      sendBody(exchange, status, noCapacityError(status, exchange.model));
      return;
    }
    case 'reset-before-headers':
      resetConnection(exchange);
      return;
    case 'stall': {
      // Headers, then silence until the client gives up or the fake closes.
      exchange.call.outcome = 'stalled';
      const streaming = exchange.endpoint === 'streamGenerateContent';
      exchange.response.writeHead(200, {
        'content-type': streaming ? 'text/event-stream' : 'application/json; charset=UTF-8',
      });
      exchange.response.flushHeaders();
      return;
    }
  }
}

async function route(runtime: FakeRuntime, exchange: Exchange): Promise<void> {
  const { endpoint } = exchange;
  switch (endpoint) {
    case 'token':
      handleToken(runtime, exchange);
      return;
    case 'auth':
      handleAuthorize(runtime, exchange);
      return;
    case 'userinfo':
      handleUserinfo(runtime, exchange);
      return;
    case 'unknown':
      sendBody(exchange, 404, googleError(404, `Method not found: ${exchange.request.method} ${exchange.call.path}`));
      return;
    default:
      break;
  }
  // Every v1internal method: a valid, unexpired bearer first, then a parseable JSON body.
  if (exchange.email === undefined || !runtime.state.accounts.has(exchange.email)) {
    sendBody(exchange, 401, googleError(401), { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' });
    return;
  }
  if (exchange.bodyInvalid) {
    sendBody(exchange, 400, googleError(400, 'Invalid JSON payload received. Unexpected token.'));
    return;
  }
  if (rejectUserProjectHeader(runtime, exchange)) return;
  switch (endpoint) {
    case 'loadCodeAssist':
      handleLoadCodeAssist(runtime, exchange);
      return;
    case 'onboardUser':
      handleOnboardUser(runtime, exchange);
      return;
    case 'fetchAvailableModels':
      handleFetchAvailableModels(runtime, exchange);
      return;
    case 'retrieveUserQuotaSummary':
      handleRetrieveUserQuotaSummary(runtime, exchange);
      return;
    case 'generateContent':
      handleGenerateContent(runtime, exchange);
      return;
    case 'streamGenerateContent':
      await handleStreamGenerateContent(runtime, exchange);
      return;
    case 'countTokens':
      handleCountTokens(runtime, exchange);
      return;
  }
}

/** An account whose backend refuses the `x-goog-user-project` header answers 403 for any call carrying it. */
function rejectUserProjectHeader(runtime: FakeRuntime, exchange: Exchange): boolean {
  const header = exchange.request.headers['x-goog-user-project'];
  const project = (Array.isArray(header) ? header[0] : header)?.trim();
  if (project === undefined || project === '') return false;
  const mode = runtime.state.requireAccount(exchange.email!).userProjectHeader;
  if (mode === 'accepted') return false;
  exchange.call.rule = 'user-project-header';
  const body = mode === 'service-disabled' ? serviceDisabledError(project) : projectPermissionDeniedError(project);
  sendBody(exchange, 403, body);
  return true;
}
