/**
 * An in-memory stand-in for the agw admin API of docs/api.md, on a loopback node:http server, which also serves
 * the built console (dist/web). The browser scenarios run against it now and against the real server later.
 * Run it alone for console development: `npm exec -- node test/browser/mock-admin-api.ts [port]`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface MockAdminApiOptions {
  password: string;
  /** The built console; requests outside /api and /auth are served from here (index.html for unknown paths). */
  staticDir: string;
  port?: number;
  /** Seeds a few demo accounts with quota, a cooldown and request-log rows. */
  demo?: boolean;
}

export interface MockAdminApi {
  baseUrl: string;
  /** The refresh token the mock maps to this email; a new version means a changed token. */
  refreshTokenFor(email: string, version?: number): string;
  /** What the real pool does on a refresh answered with invalid_grant: disable, keep the reason, push an event. */
  disableByInvalidGrant(email: string): void;
  /** Plays Google's part of the sign-in: the redirect to /auth/callback with a code for this email. */
  completeSignIn(authorizationUrl: string, email: string): Promise<void>;
  /** Adds a request-log row and pushes it as a `request` event. */
  addRequestLog(row?: Partial<RequestRow>): RequestRow;
  close(): Promise<void>;
}

interface ModelQuota {
  name: string;
  percentage: number;
  reset_time: string | null;
}

interface Account {
  id: string;
  email: string;
  name: string | null;
  refreshToken: string;
  disabled: boolean;
  disabledReason: string | null;
  disabledAt: number | null;
  proxyDisabled: boolean;
  proxyDisabledReason: string | null;
  proxyDisabledAt: number | null;
  validationBlockedUntil: number | null;
  validationUrl: string | null;
  forbidden: boolean;
  error: string | null;
  tier: string;
  cooldowns: { model: string; until: number; reason: string }[];
  models: ModelQuota[];
  createdAt: number;
  lastUsed: number | null;
  /** The account's own outbound proxy URL as stored (credentials included). */
  proxyUrl: string | null;
}

export interface RequestRow {
  id: string;
  timestamp: number;
  method: string;
  url: string;
  status: number;
  duration: number;
  model: string;
  mapped_model: string;
  account_email: string | null;
  protocol: string;
  error: string | null;
  input_tokens: number;
  output_tokens: number;
}

const authModes = ['off', 'strict', 'all_except_health', 'auto'];
const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

class HttpProblem extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const seconds = () => Math.floor(Date.now() / 1000);
const mask = (secret: string) => (secret.length <= 8 ? '…' : `${secret.slice(0, 4)}…${secret.slice(-4)}`);

function emailFromToken(token: string): string {
  // Tokens made by refreshTokenFor carry the email; any other 1//… token stands for a stable made-up user.
  const match = /^1\/\/mock\.([A-Za-z0-9_-]+)\.v\d+$/.exec(token);
  if (match?.[1]) return Buffer.from(match[1], 'base64url').toString('utf8');
  let hash = 0;
  for (const character of token) hash = (hash * 31 + character.charCodeAt(0)) >>> 0;
  return `user-${hash.toString(16)}@example.com`;
}

function stateOf(account: Account): string {
  if (account.disabled) return 'disabled';
  if (account.proxyDisabled) return 'proxy-disabled';
  if (account.validationBlockedUntil !== null && account.validationBlockedUntil > seconds())
    return 'validation-blocked';
  if (account.forbidden) return 'forbidden';
  if (account.error) return 'project-unresolved';
  if (account.cooldowns.some((cooldown) => cooldown.until > seconds())) return 'cooling';
  return 'active';
}

function viewOf(account: Account) {
  const blocked = account.validationBlockedUntil !== null && account.validationBlockedUntil > seconds();
  return {
    id: account.id,
    email: account.email,
    name: account.name,
    state: stateOf(account),
    disabled: account.disabled,
    disabled_reason: account.disabledReason,
    disabled_at: account.disabledAt,
    proxy_disabled: account.proxyDisabled,
    proxy_disabled_reason: account.proxyDisabledReason,
    proxy_disabled_at: account.proxyDisabledAt,
    validation_blocked: blocked,
    validation_blocked_until: blocked ? account.validationBlockedUntil : null,
    validation_url: blocked ? account.validationUrl : null,
    error: account.error,
    tier: account.tier,
    protected_models: [],
    cooldowns: account.cooldowns.filter((cooldown) => cooldown.until > seconds()),
    quota: { last_updated: account.createdAt, models: account.models, groups: [] },
    refresh_token: mask(account.refreshToken),
    // The server masks a proxy's credentials the same way (src/accounts/account-proxy.ts).
    proxy_url: account.proxyUrl === null ? null : account.proxyUrl.replace(/\/\/[^/@]+@/, '//[REDACTED]@'),
    created_at: account.createdAt,
    last_used: account.lastUsed,
  };
}

function defaultModels(): ModelQuota[] {
  const reset = new Date(Date.now() + 3 * 3600_000).toISOString();
  return [
    { name: 'claude-sonnet-4-6', percentage: 80, reset_time: reset },
    { name: 'gemini-3-pro-high', percentage: 55, reset_time: reset },
    { name: 'gemini-3-flash', percentage: 100, reset_time: reset },
  ];
}

function parseImport(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) {
      return parsed.map((entry) =>
        typeof entry === 'string' ? entry : String((entry as { refresh_token?: unknown })?.refresh_token ?? ''),
      );
    }
  } catch {
    // Not JSON: fall through to token scanning.
  }
  return text.match(/1\/\/[A-Za-z0-9_.-]+/g) ?? [];
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1_000_000) throw new HttpProblem(413, 'AGW_BODY_TOO_LARGE', 'Body too large.');
    chunks.push(chunk);
  }
  if (chunks.length === 0) return {};
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new HttpProblem(400, 'AGW_INVALID_JSON', 'The request body is not valid JSON.');
}

/** Starts the mock on 127.0.0.1 (port 0 unless given) and resolves once it listens. */
export async function startMockAdminApi(options: MockAdminApiOptions): Promise<MockAdminApi> {
  const accounts: Account[] = [];
  const sessions = new Set<string>();
  const eventClients = new Set<ServerResponse>();
  const oauthFlows = new Map<string, { status: 'pending' | 'done' | 'failed'; email?: string; error?: string }>();
  const logs: RequestRow[] = [];
  const settings = new Map<string, { value: unknown; secret: boolean }>([
    ['proxy.auth_mode', { value: 'auto', secret: false }],
    ['proxy.api_key', { value: `sk-${randomBytes(16).toString('hex')}`, secret: true }],
    ['proxy.admin_password', { value: options.password, secret: true }],
    ['proxy.custom_mapping', { value: {}, secret: false }],
    ['proxy.port', { value: options.port ?? 8045, secret: false }],
    ['scheduled_warmup.enabled', { value: false, secret: false }],
    ['scheduled_warmup.monitored_models', { value: ['gemini-3-flash', 'claude'], secret: false }],
  ]);
  let baseUrl = '';

  const refreshTokenFor = (email: string, version = 1) =>
    `1//mock.${Buffer.from(email, 'utf8').toString('base64url')}.v${version}`;

  const broadcast = (event: string, data: unknown) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const client of eventClients) client.write(frame);
  };

  const find = (idOrEmail: string) => {
    const account = accounts.find((item) => item.id === idOrEmail || item.email === idOrEmail);
    if (!account) throw new HttpProblem(404, 'AGW_ACCOUNT_NOT_FOUND', 'No account has that id or email.');
    return account;
  };

  const upsert = (token: string) => {
    if (!/^1\/\/\S+$/.test(token)) {
      throw new HttpProblem(400, 'AGW_INVALID_REQUEST', 'A refresh token starts with 1// (Google rejected this one).');
    }
    const email = emailFromToken(token);
    const existing = accounts.find((item) => item.email === email);
    if (!existing) {
      const account: Account = {
        id: randomUUID(),
        email,
        name: email.split('@')[0] ?? null,
        refreshToken: token,
        disabled: false,
        disabledReason: null,
        disabledAt: null,
        proxyDisabled: false,
        proxyDisabledReason: null,
        proxyDisabledAt: null,
        validationBlockedUntil: null,
        validationUrl: null,
        forbidden: false,
        error: null,
        tier: 'PRO',
        cooldowns: [],
        models: defaultModels(),
        createdAt: seconds(),
        lastUsed: null,
        proxyUrl: null,
      };
      accounts.push(account);
      broadcast('account', viewOf(account));
      return { account, outcome: 'added' as const };
    }
    const changed = existing.refreshToken !== token;
    existing.refreshToken = token;
    // The re-enable rule (reference §3.2): only a changed token clears a disable.
    if (existing.disabled && changed) {
      existing.disabled = false;
      existing.disabledReason = null;
      existing.disabledAt = null;
      broadcast('account', viewOf(existing));
      return { account: existing, outcome: 're-enabled' as const };
    }
    broadcast('account', viewOf(existing));
    return { account: existing, outcome: 'updated' as const };
  };

  const addRequestLog = (row: Partial<RequestRow> = {}): RequestRow => {
    const full: RequestRow = {
      id: randomUUID(),
      timestamp: Date.now(),
      method: 'POST',
      url: '/v1/messages',
      status: 200,
      duration: 850,
      model: 'claude-sonnet-4-6',
      mapped_model: 'claude-sonnet-4-6',
      account_email: accounts[0]?.email ?? null,
      protocol: 'anthropic',
      error: null,
      input_tokens: 120,
      output_tokens: 48,
      ...row,
    };
    logs.unshift(full);
    broadcast('request', full);
    return full;
  };

  const authenticated = (request: IncomingMessage) => {
    const cookie = /(?:^|;\s*)agw_session=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
    if (cookie && sessions.has(cookie)) return true;
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    return bearer === options.password || request.headers['x-api-key'] === options.password;
  };

  const settingsView = () => ({
    settings: [...settings].map(([key, setting]) => ({
      key,
      value: setting.secret && typeof setting.value === 'string' ? mask(setting.value) : setting.value,
      source: 'file',
      secret: setting.secret,
    })),
  });

  const counts = () => {
    const result = { usable: 0, cooling: 0, disabled: 0, proxy_disabled: 0, validation_blocked: 0, other: 0 };
    for (const account of accounts) {
      const state = stateOf(account);
      if (state === 'active') result.usable += 1;
      else if (state === 'cooling') result.cooling += 1;
      else if (state === 'disabled') result.disabled += 1;
      else if (state === 'proxy-disabled') result.proxy_disabled += 1;
      else if (state === 'validation-blocked') result.validation_blocked += 1;
      else result.other += 1;
    }
    return result;
  };

  const routeApi = async (request: IncomingMessage, url: URL, response: ServerResponse): Promise<unknown> => {
    const method = request.method ?? 'GET';
    const route = `${method} ${url.pathname}`;
    if (route === 'POST /api/session') {
      const body = await readJson(request);
      if (body['password'] !== options.password) throw new HttpProblem(401, 'AGW_UNAUTHORIZED', 'Wrong password.');
      const session = randomBytes(24).toString('hex');
      sessions.add(session);
      response.setHeader('set-cookie', `agw_session=${session}; HttpOnly; SameSite=Strict; Path=/`);
      return null;
    }
    if (route === 'GET /api/session') return { authenticated: authenticated(request) };
    if (route === 'GET /api/health') return { status: 'ok' };
    if (!authenticated(request)) throw new HttpProblem(401, 'AGW_UNAUTHORIZED', 'Log in first.');

    if (route === 'DELETE /api/session') {
      const cookie = /(?:^|;\s*)agw_session=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
      if (cookie) sessions.delete(cookie);
      response.setHeader('set-cookie', 'agw_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0');
      return null;
    }
    if (route === 'GET /api/events') {
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      response.write('retry: 1000\n\n');
      eventClients.add(response);
      request.on('close', () => eventClients.delete(response));
      return undefined;
    }
    if (route === 'GET /api/accounts') return { accounts: accounts.map(viewOf) };
    if (route === 'POST /api/accounts') {
      const body = await readJson(request);
      const { account, outcome } = upsert(String(body['refresh_token'] ?? '').trim());
      return { account: viewOf(account), outcome };
    }
    if (route === 'POST /api/accounts/import') {
      const body = await readJson(request);
      const results = parseImport(String(body['text'] ?? '')).map((token) => {
        try {
          const { account, outcome } = upsert(token.trim());
          return { email: account.email, outcome };
        } catch (error) {
          return { error: (error as Error).message };
        }
      });
      return { results };
    }
    if (route === 'POST /api/accounts/reorder') {
      const body = await readJson(request);
      const ids = Array.isArray(body['ids']) ? body['ids'].map(String) : [];
      accounts.sort((left, right) => ids.indexOf(left.id) - ids.indexOf(right.id));
      return null;
    }
    const accountRoute = /^\/api\/accounts\/([^/]+)(\/proxy|\/quota|\/outbound-proxy)?$/.exec(url.pathname);
    if (accountRoute?.[1]) {
      const account = find(decodeURIComponent(accountRoute[1]));
      const suffix = accountRoute[2] ?? '';
      if (method === 'GET' && suffix === '') return viewOf(account);
      if (method === 'GET' && suffix === '/quota') return viewOf(account).quota;
      if (method === 'DELETE' && suffix === '') {
        accounts.splice(accounts.indexOf(account), 1);
        return null;
      }
      if (method === 'PUT' && suffix === '/outbound-proxy') {
        const body = await readJson(request);
        account.proxyUrl = typeof body['url'] === 'string' && body['url'] !== '' ? body['url'] : null;
        broadcast('account', viewOf(account));
        return viewOf(account);
      }
      if (method === 'POST' && suffix === '/proxy') {
        const body = await readJson(request);
        const enabled = body['enabled'] === true;
        account.proxyDisabled = !enabled;
        account.proxyDisabledReason = enabled ? null : String(body['reason'] ?? 'Switched off in the console');
        account.proxyDisabledAt = enabled ? null : seconds();
        broadcast('account', viewOf(account));
        return viewOf(account);
      }
    }
    if (route === 'GET /api/quota') {
      return {
        accounts: accounts.map((account) => ({
          id: account.id,
          email: account.email,
          tier: account.tier,
          models: account.models,
          groups: [],
        })),
      };
    }
    if (route === 'POST /api/quota/refresh') return { refreshed: accounts.length, failed: 0 };
    if (route === 'POST /api/oauth/start') {
      const state = randomBytes(12).toString('hex');
      oauthFlows.set(state, { status: 'pending' });
      const redirect = encodeURIComponent(`${baseUrl}/auth/callback`);
      return { url: `https://accounts.google.com/o/oauth2/v2/auth?state=${state}&redirect_uri=${redirect}`, state };
    }
    if (route === 'GET /api/oauth/status') {
      const flow = oauthFlows.get(url.searchParams.get('state') ?? '');
      if (!flow) return { status: 'failed', error: 'Unknown or expired sign-in.' };
      if (flow.status === 'done' && flow.email) return { status: 'done', account: viewOf(find(flow.email)) };
      return flow;
    }
    if (route === 'GET /api/pool') {
      return {
        counts: counts(),
        accounts: accounts.map((account) => ({ id: account.id, state: stateOf(account) })),
      };
    }
    if (route === 'GET /api/config') return settingsView();
    if (route === 'PATCH /api/config') {
      const body = await readJson(request);
      const changes = (body['changes'] ?? {}) as Record<string, unknown>;
      const problems: string[] = [];
      for (const [key, value] of Object.entries(changes)) {
        if (!settings.has(key)) problems.push(`${key}: unknown setting`);
        if (key === 'proxy.auth_mode' && !authModes.includes(String(value))) problems.push(`${key}: not a mode`);
        if (key === 'proxy.custom_mapping' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
          problems.push(`${key}: must be an object`);
        }
      }
      if (problems.length > 0) throw new HttpProblem(400, 'AGW_CONFIG_INVALID', problems.join('; '));
      for (const [key, value] of Object.entries(changes)) {
        const setting = settings.get(key);
        if (setting) setting.value = value;
      }
      return settingsView();
    }
    if (route === 'POST /api/config/api-key') {
      const key = `sk-${randomBytes(16).toString('hex')}`;
      settings.set('proxy.api_key', { value: key, secret: true });
      return { api_key: key };
    }
    if (route === 'GET /api/status') {
      const minuteAgo = Date.now() - 60_000;
      const recent = logs.filter((row) => row.timestamp >= minuteAgo);
      const errors = logs.filter((row) => row.status >= 400).length;
      return {
        version: '0.1.0-mock',
        base_url: baseUrl,
        auth_mode: settings.get('proxy.auth_mode')?.value,
        counts: counts(),
        requests_per_minute: recent.length,
        error_rate: logs.length === 0 ? 0 : errors / logs.length,
      };
    }
    if (route === 'GET /api/logs') {
      const protocol = url.searchParams.get('protocol');
      const model = url.searchParams.get('model');
      const errorsOnly = ['1', 'true'].includes(url.searchParams.get('errors_only') ?? '');
      const rows = logs.filter(
        (row) =>
          (!errorsOnly || row.status >= 400) &&
          (!protocol || row.protocol === protocol) &&
          (!model || row.model.includes(model) || row.mapped_model.includes(model)),
      );
      const limit = Number(url.searchParams.get('limit') ?? 50);
      const offset = Number(url.searchParams.get('offset') ?? 0);
      return { rows: rows.slice(offset, offset + limit), total: rows.length };
    }
    if (route === 'GET /api/stats/usage') return { rows: [] };
    throw new HttpProblem(404, 'AGW_NOT_FOUND', `No route ${route}.`);
  };

  const serveStatic = async (url: URL, response: ServerResponse) => {
    const root = path.resolve(options.staticDir);
    let file = path.resolve(root, `.${decodeURIComponent(url.pathname)}`);
    if (!file.startsWith(root + path.sep) || !(await stat(file).catch(() => null))?.isFile()) {
      file = path.join(root, 'index.html');
    }
    try {
      const content = await readFile(file);
      response.writeHead(200, { 'content-type': contentTypes[path.extname(file)] ?? 'application/octet-stream' });
      response.end(content);
    } catch {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('The console is not built: run the web build first.');
    }
  };

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    try {
      if (url.pathname.startsWith('/api/') || url.pathname === '/api') {
        const body = await routeApi(request, url, response);
        if (body === undefined) return; // streaming (events)
        if (body === null) {
          response.writeHead(204);
          response.end();
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
        return;
      }
      if (url.pathname === '/auth/callback') {
        // The mock treats the code as the refresh token Google would have issued.
        const flow = oauthFlows.get(url.searchParams.get('state') ?? '');
        if (flow) {
          const { account } = upsert(url.searchParams.get('code') ?? '');
          flow.status = 'done';
          flow.email = account.email;
        }
        response.writeHead(flow ? 200 : 400, { 'content-type': 'text/html; charset=utf-8' });
        response.end(flow ? '<p>Signed in. You can close this tab.</p>' : '<p>Unknown sign-in state.</p>');
        return;
      }
      if (url.pathname.startsWith('/__mock/') && request.method === 'POST') {
        const body = await readJson(request);
        if (url.pathname === '/__mock/invalid-grant') disableByInvalidGrant(String(body['email']));
        else if (url.pathname === '/__mock/request') addRequestLog(body as Partial<RequestRow>);
        response.writeHead(204);
        response.end();
        return;
      }
      await serveStatic(url, response);
    } catch (error) {
      const problem =
        error instanceof HttpProblem ? error : new HttpProblem(500, 'AGW_INTERNAL', (error as Error).message);
      if (!response.headersSent) response.writeHead(problem.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: problem.code, message: problem.message } }));
    }
  });

  function disableByInvalidGrant(email: string): void {
    const account = find(email);
    account.disabled = true;
    account.disabledAt = seconds();
    account.disabledReason =
      'invalid_grant: {"error":"invalid_grant","error_description":"Token has been expired or revoked."}';
    broadcast('account', viewOf(account));
  }

  if (options.demo) {
    const [, bob, carol, dave, erin, frank] = [
      'alice@example.com',
      'bob@example.com',
      'carol@example.com',
      'dave@example.com',
      'erin@example.com',
      'frank@example.com',
    ].map((email) => upsert(refreshTokenFor(email)).account);
    if (bob) bob.cooldowns.push({ model: 'claude', until: seconds() + 1800, reason: 'QUOTA_EXHAUSTED' });
    if (carol) {
      carol.models = carol.models.map((model) => ({ ...model, percentage: Math.round(model.percentage / 5) }));
    }
    if (dave) disableByInvalidGrant(dave.email);
    if (erin) {
      erin.validationBlockedUntil = seconds() + 3600;
      erin.validationUrl = 'https://accounts.google.com/signin/continue';
    }
    if (frank) {
      frank.proxyDisabled = true;
      frank.proxyDisabledReason = 'Forbidden (403): The caller does not have permission';
      frank.proxyDisabledAt = seconds();
      frank.tier = 'FREE';
    }
    for (let index = 0; index < 6; index += 1) {
      addRequestLog({ status: index === 2 ? 429 : 200, error: index === 2 ? 'Quota exhausted for claude' : null });
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    refreshTokenFor,
    disableByInvalidGrant,
    addRequestLog,
    completeSignIn: async (authorizationUrl, email) => {
      const state = new URL(authorizationUrl).searchParams.get('state') ?? '';
      const code = encodeURIComponent(refreshTokenFor(email));
      const response = await fetch(`${baseUrl}/auth/callback?code=${code}&state=${state}`);
      if (!response.ok) throw new Error(`the mock callback answered ${response.status}`);
    },
    close: async () => {
      for (const client of eventClients) client.end();
      eventClients.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (import.meta.main) {
  const port = Number(process.argv[2] ?? 8045);
  const staticDir = fileURLToPath(new URL('../../dist/web', import.meta.url));
  const mock = await startMockAdminApi({ password: 'admin', staticDir, port, demo: true });
  process.stdout.write(`Mock admin API and console on ${mock.baseUrl} (password: admin)\n`);
}
