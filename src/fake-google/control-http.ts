/**
 * The control surface over HTTP: `/__control/<route>` with JSON in and out, for tests in another process and
 * for the demo. Each route maps onto one FakeGoogleControl method.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeGoogleControl } from './control.ts';
import type { FakeRulesPatch } from './rules.ts';
import type {
  AccountSpec,
  BaseFailure,
  BaseName,
  CallFilter,
  CreditBalance,
  Endpoint,
  QuotaBucket,
  ScriptRule,
  Tier,
  UserProjectHeaderMode,
} from './types.ts';

const userProjectHeaderModes: readonly UserProjectHeaderMode[] = ['accepted', 'service-disabled', 'permission-denied'];

type Json = Record<string, unknown>;
type Route = (control: FakeGoogleControl, body: Json, query: URLSearchParams) => unknown;

function text(body: Json, key: string): string {
  const value = body[key];
  if (typeof value !== 'string') throw new ControlError(`"${key}" must be a string`);
  return value;
}

class ControlError extends Error {}

const postRoutes: Readonly<Record<string, Route>> = {
  accounts: (control, body) => {
    text(body, 'email');
    text(body, 'refreshToken');
    const handle = control.addAccount(body as unknown as AccountSpec);
    return { email: handle.email, refreshToken: handle.refreshToken(), projectId: handle.projectId() };
  },
  'accounts/remove': (control, body) => {
    control.removeAccount(text(body, 'email'));
    return {};
  },
  'accounts/access-token': (control, body) => {
    const handle = control.account(text(body, 'email'));
    if (handle === undefined) throw new ControlError('no such account');
    const lifetime = body['lifetimeSeconds'];
    return { accessToken: handle.mintAccessToken(typeof lifetime === 'number' ? lifetime : undefined) };
  },
  revoke: (control, body) => ({ revoked: control.revokeRefreshToken(text(body, 'refreshToken')) }),
  rotate: (control, body) => {
    control.rotateRefreshTokens(text(body, 'email'), body['on'] === true);
    return {};
  },
  quota: (control, body) => {
    const resetTime = body['resetTime'];
    const fraction = body['remainingFraction'];
    control.setQuota(
      text(body, 'email'),
      text(body, 'model'),
      fraction === null ? null : Number(fraction),
      typeof resetTime === 'string' ? resetTime : undefined,
    );
    return {};
  },
  'user-project-header': (control, body) => {
    const mode = text(body, 'mode');
    if (!userProjectHeaderModes.includes(mode as UserProjectHeaderMode)) {
      throw new ControlError(`"mode" must be one of ${userProjectHeaderModes.join(', ')}`);
    }
    control.setUserProjectHeader(text(body, 'email'), mode as UserProjectHeaderMode);
    return {};
  },
  credits: (control, body) => {
    const credits = body['credits'];
    if (credits !== null && (typeof credits !== 'object' || typeof (credits as Json)['amount'] !== 'number')) {
      throw new ControlError('"credits" must be null or {amount, minimumForUsage?, perRequest?}');
    }
    control.setCredits(text(body, 'email'), credits as CreditBalance | null);
    return {};
  },
  rules: (control, body) => control.setRules(body as FakeRulesPatch),
  buckets: (control, body) => {
    control.setBuckets(text(body, 'email'), body['buckets'] as QuotaBucket[]);
    return {};
  },
  tier: (control, body) => {
    control.setTier(text(body, 'email'), text(body, 'tier') as Tier);
    return {};
  },
  project: (control, body) => {
    const projectId = body['projectId'];
    control.setProject(text(body, 'email'), typeof projectId === 'string' ? projectId : null);
    return {};
  },
  'login-account': (control, body) => {
    const email = body['email'];
    control.setLoginAccount(typeof email === 'string' ? email : null);
    return {};
  },
  script: (control, body) => {
    if (typeof body['action'] !== 'object' || body['action'] === null) throw new ControlError('"action" is required');
    return { id: control.script(body as unknown as ScriptRule).id };
  },
  'scripts/clear': (control) => {
    control.clearScripts();
    return {};
  },
  'fail-base': (control, body) => {
    control.failBase(text(body, 'base') as BaseName, (body['failure'] ?? null) as BaseFailure | null);
    return {};
  },
  settings: (control, body) => {
    if (typeof body['streamChunks'] === 'number') control.setStreamChunks(body['streamChunks']);
    if (body['lineEnding'] === '\n' || body['lineEnding'] === '\r\n') control.setLineEnding(body['lineEnding']);
    if (typeof body['signatureValidation'] === 'object' && body['signatureValidation'] !== null) {
      control.setSignatureValidation(body['signatureValidation'] as { claude?: boolean; gemini?: boolean });
    }
    if (typeof body['latencyMs'] === 'number') {
      control.setLatency(body['latencyMs'], typeof body['jitterMs'] === 'number' ? body['jitterMs'] : 0);
    }
    return {};
  },
  clock: (control, body) => {
    control.advanceClock(Number(body['advanceSeconds'] ?? 0));
    return { now: control.now() };
  },
  reset: (control) => {
    control.reset();
    return {};
  },
};

function filterFrom(query: URLSearchParams): CallFilter {
  const filter: CallFilter = {};
  const endpoints = query.getAll('endpoint');
  if (endpoints.length > 0) filter.endpoint = endpoints as Endpoint[];
  const base = query.get('base');
  if (base !== null) filter.base = base as BaseName;
  const email = query.get('email');
  if (email !== null) filter.email = email;
  const model = query.get('model');
  if (model !== null) filter.model = model;
  return filter;
}

const getRoutes: Readonly<Record<string, Route>> = {
  calls: (control, _body, query) => ({ calls: control.calls(filterFrom(query)) }),
  counts: (control) => control.counts(),
  streams: (control) => ({ streamsClosedByClient: control.streamsClosedByClient() }),
  rules: (control) => control.rules(),
  'connections/shared': (control) => ({ sharedConnections: control.sharedConnections() }),
  clock: (control) => ({ now: control.now() }),
};

function reply(response: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  response.end(payload);
}

async function readJson(request: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (raw.trim() === '') return {};
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ControlError('body must be a JSON object');
  return parsed as Json;
}

/** Serves one `/__control/<route>` request. */
export async function handleControlRequest(
  control: FakeGoogleControl,
  request: IncomingMessage,
  response: ServerResponse,
  route: string,
  target: string,
): Promise<void> {
  const queryStart = target.indexOf('?');
  const query = new URLSearchParams(queryStart < 0 ? '' : target.slice(queryStart + 1));
  const routeName = route;
  const table = request.method === 'GET' ? getRoutes : request.method === 'POST' ? postRoutes : undefined;
  const handler = table?.[routeName];
  if (handler === undefined) {
    reply(response, 404, { error: `no control route ${request.method} /__control/${routeName}` });
    return;
  }
  try {
    const body = request.method === 'POST' ? await readJson(request) : {};
    reply(response, 200, handler(control, body, query));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    reply(response, 400, { error: message });
  }
}
