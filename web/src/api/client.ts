import type {
  AccountView,
  AddAccountResult,
  ClientSetupReport,
  GatewayStatus,
  ImportResult,
  KeyView,
  LogFilter,
  LogPage,
  NewKey,
  OAuthStart,
  OAuthStatus,
  PoolView,
  QuotaAccount,
  Setting,
} from './types.ts';

/** An admin API error, carrying the catalogue code when the server sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | null;

  constructor(status: number, code: string | null, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

type UnauthorizedListener = () => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Registers a callback for any 401 answer, so the app can show the login screen again. */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** Tells every listener the session is gone (used by the event stream, which cannot see status codes). */
export function notifyUnauthorized(): void {
  for (const listener of unauthorizedListeners) listener();
}

async function errorFrom(response: Response): Promise<ApiError> {
  let code: string | null = null;
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } | string };
    if (typeof body.error === 'string') message = body.error;
    else if (body.error) {
      code = body.error.code ?? null;
      message = body.error.message ?? message;
    }
  } catch {
    // Not JSON: keep the status line as the message.
  }
  return new ApiError(response.status, code, message);
}

async function call<T>(method: string, path: string, body?: unknown, quietUnauthorized = false): Promise<T> {
  // x-agw-admin marks the call as the console's own: the gateway refuses state changes a cross-site page could forge.
  const headers: Record<string, string> = { accept: 'application/json', 'x-agw-admin': '1' };
  const init: RequestInit = { method, credentials: 'same-origin', headers };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && !quietUnauthorized) notifyUnauthorized();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

function query(values: Record<string, string | number | boolean | undefined>): string {
  const parameters = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === '' || value === false) continue;
    parameters.set(key, value === true ? '1' : String(value));
  }
  const text = parameters.toString();
  return text === '' ? '' : `?${text}`;
}

const accountPath = (id: string) => `/api/accounts/${encodeURIComponent(id)}`;

/** Every admin API call the console makes, one function per route. */
export const api = {
  session: () => call<{ authenticated: boolean }>('GET', '/api/session', undefined, true),
  login: (password: string) => call<void>('POST', '/api/session', { password }, true),
  logout: () => call<void>('DELETE', '/api/session'),

  accounts: () => call<{ accounts: AccountView[] }>('GET', '/api/accounts'),
  account: (id: string) => call<AccountView>('GET', accountPath(id)),
  addAccount: (refreshToken: string) =>
    call<AddAccountResult>('POST', '/api/accounts', { refresh_token: refreshToken }),
  importAccounts: (text: string) => call<{ results: ImportResult[] }>('POST', '/api/accounts/import', { text }),
  removeAccount: (id: string) => call<void>('DELETE', accountPath(id)),
  setProxyEnabled: (id: string, enabled: boolean) => call<AccountView>('POST', `${accountPath(id)}/proxy`, { enabled }),
  /** The account's own outbound proxy URL (issue 18); null clears it. */
  setOutboundProxy: (id: string, url: string | null) =>
    call<AccountView>('PUT', `${accountPath(id)}/outbound-proxy`, { url }),

  oauthStart: () => call<OAuthStart>('POST', '/api/oauth/start'),
  oauthStatus: (state: string) => call<OAuthStatus>('GET', `/api/oauth/status${query({ state })}`),

  pool: () => call<PoolView>('GET', '/api/pool'),
  quota: () => call<{ accounts: QuotaAccount[] }>('GET', '/api/quota'),
  status: () => call<GatewayStatus>('GET', '/api/status'),

  config: () => call<{ settings: Setting[] }>('GET', '/api/config'),
  changeConfig: (changes: Record<string, unknown>) =>
    call<{ settings: Setting[] }>('PATCH', '/api/config', { changes }),
  regenerateApiKey: () => call<{ api_key: string }>('POST', '/api/config/api-key'),
  setupClient: (client: string, options: { dry_run?: boolean; undo?: boolean }) =>
    call<ClientSetupReport>('POST', `/api/setup/${encodeURIComponent(client)}`, options),

  keys: () => call<{ keys: KeyView[] }>('GET', '/api/keys'),
  createKey: (key: NewKey) => call<{ key: KeyView; secret: string }>('POST', '/api/keys', key),
  revokeKey: (id: string) => call<{ key: KeyView }>('DELETE', `/api/keys/${encodeURIComponent(id)}`),

  logs: (filter: LogFilter) =>
    call<LogPage>(
      'GET',
      `/api/logs${query({
        limit: filter.limit,
        offset: filter.offset,
        errors_only: filter.errorsOnly,
        protocol: filter.protocol,
        model: filter.model,
      })}`,
    ),
};

/** The message to show for a failed call. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.code ? `${error.message} (${error.code})` : error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
