/**
 * Every setting agw reads, as one table: where it lives in `gui_config.json` (the reference system's keys where
 * the reference has one, an `agw` object for agw's own), which environment variables override it, how it is
 * validated and its default. Loading, `agw config get/set`, the admin API and docs/configuration.md all use
 * this table, so a setting cannot exist in one place and be missing in another.
 */
import { z } from 'zod';
import { noProxyEntries } from '../upstream/proxy/no-proxy.ts';
import { proxyUrlProblem } from '../upstream/proxy/proxy-url.ts';
import { defaults } from './defaults.ts';

export interface SettingDefinition {
  /** Dotted path inside gui_config.json. */
  readonly path: string;
  /** Environment variables, first set one wins; reference-system names come after agw's. */
  readonly env: readonly string[];
  readonly schema: z.ZodType;
  readonly fallback: unknown;
  /** Turns an environment string into the value the schema checks. */
  readonly fromEnv?: (text: string) => unknown;
  /** Secret values are masked by `agw config get` and the admin API. */
  readonly secret?: boolean;
  readonly description: string;
}

const booleanFromText = (text: string): unknown => {
  const lowered = text.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(lowered)) return true;
  if (['0', 'false', 'no', 'off'].includes(lowered)) return false;
  return text;
};
const numberFromText = (text: string): unknown => (text.trim() === '' ? text : Number(text));
const listFromText = (text: string): unknown =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

const seconds = z.number().positive().finite();
const port = z.number().int().min(0).max(65535);
const httpUrl = z.url({ protocol: /^https?$/ });
/** Empty (no proxy) or a proxy URL agw can use; the message never repeats the URL (it may hold a password). */
const proxyUrl = z.string().superRefine((text, context) => {
  if (text.trim() === '') return;
  const problem = proxyUrlProblem(text);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
});

export const authModes = ['off', 'strict', 'all_except_health', 'auto'] as const;
export const strategies = ['sticky', 'round-robin', 'quota-aware'] as const;
export const schedulingModes = ['CacheFirst', 'Balance', 'PerformanceFirst'] as const;
export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const logFormats = ['auto', 'json', 'pretty'] as const;

export const settingsTable = {
  host: {
    path: 'agw.host',
    env: ['AGW_HOST'],
    schema: z.string().min(1).nullable(),
    fallback: null,
    description:
      'Address to bind. Unset: 127.0.0.1, or 0.0.0.0 when proxy.allow_lan_access is true (the reference rule).',
  },
  port: {
    path: 'proxy.port',
    env: ['AGW_PORT'],
    schema: port,
    fallback: defaults.server.port,
    fromEnv: numberFromText,
    description: 'TCP port of the gateway (API, admin API and console).',
  },
  allowLanAccess: {
    path: 'proxy.allow_lan_access',
    env: [],
    schema: z.boolean(),
    fallback: false,
    description: 'Bind all interfaces instead of loopback; makes auth_mode auto require the API key.',
  },
  allowUnauthenticatedLan: {
    path: 'agw.allow_unauthenticated_lan',
    env: ['AGW_ALLOW_UNAUTHENTICATED_LAN'],
    schema: z.boolean(),
    fallback: false,
    fromEnv: booleanFromText,
    description:
      'Allow serving beyond loopback with auth_mode off (refused otherwise; a warning is printed at start). Also the serve flag --allow-unauthenticated-lan.',
  },
  allowedHosts: {
    path: 'agw.allowed_hosts',
    env: ['AGW_ALLOWED_HOSTS'],
    schema: z.array(z.string().min(1)),
    fallback: [],
    fromEnv: listFromText,
    description:
      'Extra Host names the admin API and console answer to (a reverse proxy or LAN name); loopback names and the bound addresses are always accepted.',
  },
  authMode: {
    path: 'proxy.auth_mode',
    env: ['AGW_AUTH_MODE', 'AUTH_MODE'],
    schema: z.enum(authModes),
    fallback: defaults.auth.mode,
    description:
      'off | strict | all_except_health | auto (auto = off while bound to loopback only, else all_except_health).',
  },
  apiKey: {
    path: 'proxy.api_key',
    env: ['AGW_API_KEY', 'API_KEY'],
    schema: z.string(),
    fallback: '',
    secret: true,
    description: 'The key clients send (Authorization: Bearer, x-api-key, x-goog-api-key or ?key=).',
  },
  adminPassword: {
    path: 'proxy.admin_password',
    env: ['AGW_ADMIN_PASSWORD', 'WEB_PASSWORD'],
    schema: z.string().nullable(),
    fallback: null,
    secret: true,
    description: 'Password of the admin API and console; when unset the API key is used, as in the reference.',
  },
  logLevel: {
    path: 'agw.log_level',
    env: ['AGW_LOG_LEVEL'],
    schema: z.enum(logLevels),
    fallback: defaults.logging.level,
    description: 'Log level of stdout and the log files.',
  },
  logFormat: {
    path: 'agw.log_format',
    env: ['AGW_LOG_FORMAT'],
    schema: z.enum(logFormats),
    fallback: defaults.logging.format,
    description:
      'Lines on stdout: auto (readable on a terminal, JSON lines otherwise), json or pretty. Log files are always JSON.',
  },
  upstreamEndpoints: {
    path: 'agw.upstream_endpoints',
    env: ['AGW_UPSTREAM_ENDPOINTS'],
    schema: z.array(httpUrl).min(1),
    fallback: defaults.upstream.endpoints,
    fromEnv: listFromText,
    description:
      'v1internal base URLs, tried in order on network errors, 404, 408, 5xx and a 429 "no capacity" (MODEL_CAPACITY_EXHAUSTED).',
  },
  upstreamClientVersion: {
    path: 'agw.upstream_client_version',
    env: ['AGW_UPSTREAM_CLIENT_VERSION'],
    schema: z.string().regex(/^\d+\.\d+\.\d+$/, 'a version like 4.3.0'),
    fallback: defaults.upstream.clientVersion,
    description:
      'Antigravity client version reported to Google (User-Agent and x-client-version). Google refuses versions it no longer supports (AGW_UPSTREAM_CLIENT_OUTDATED) and lists some models only from a version on. Restart to apply.',
  },
  upstreamUserAgent: {
    path: 'agw.upstream_user_agent',
    env: ['AGW_UPSTREAM_USER_AGENT'],
    schema: z.string(),
    fallback: '',
    description:
      'User-Agent of v1internal calls. Empty: the Antigravity desktop form built from agw.upstream_client_version. Restart to apply.',
  },
  upstreamProxyEnabled: {
    path: 'proxy.upstream_proxy.enabled',
    env: [],
    schema: z.boolean(),
    fallback: false,
    description:
      'Send every call to Google through proxy.upstream_proxy.url (the reference key); an account with its own proxy_url uses that instead.',
  },
  upstreamProxyUrl: {
    path: 'proxy.upstream_proxy.url',
    env: [],
    schema: proxyUrl,
    fallback: '',
    description:
      'The global outbound proxy: http://, https://, socks5:// or socks5h:// (remote DNS), optionally with user:password@ (never shown). Without a scheme http:// is meant. Unset or disabled: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY apply.',
  },
  noProxy: {
    path: 'agw.no_proxy',
    env: ['NO_PROXY', 'no_proxy'],
    schema: z.array(z.string().min(1)),
    fallback: [],
    fromEnv: (text: string) => noProxyEntries(text),
    description:
      "Hosts reached without the global or environment proxy: names (subdomains included), IPs, host:port, or * for all. An account's own proxy is always used.",
  },
  oauthTokenUrl: {
    path: 'agw.oauth_token_url',
    env: ['AGW_OAUTH_TOKEN_URL'],
    schema: httpUrl,
    fallback: defaults.google.tokenUrl,
    description: 'Google OAuth token endpoint.',
  },
  oauthAuthUrl: {
    path: 'agw.oauth_auth_url',
    env: ['AGW_OAUTH_AUTH_URL'],
    schema: httpUrl,
    fallback: defaults.google.authUrl,
    description: 'Google OAuth authorization page.',
  },
  userinfoUrl: {
    path: 'agw.userinfo_url',
    env: ['AGW_USERINFO_URL'],
    schema: httpUrl,
    fallback: defaults.google.userinfoUrl,
    description: 'Google userinfo endpoint.',
  },
  oauthClientId: {
    path: 'agw.oauth_client_id',
    env: ['AGW_OAUTH_CLIENT_ID'],
    schema: z.string().min(1),
    fallback: defaults.google.clientId,
    description: 'OAuth client id (default: the public Antigravity desktop client).',
  },
  oauthClientSecret: {
    path: 'agw.oauth_client_secret',
    env: ['AGW_OAUTH_CLIENT_SECRET'],
    schema: z.string().min(1),
    fallback: defaults.google.clientSecret,
    secret: true,
    description: 'OAuth client secret matching the client id.',
  },
  requestTimeoutSeconds: {
    path: 'proxy.request_timeout',
    env: [],
    schema: seconds,
    fallback: defaults.upstream.totalTimeoutSeconds,
    description: 'Seconds for a whole upstream exchange, streams included (the reference key, honoured here).',
  },
  headersTimeoutSeconds: {
    path: 'agw.headers_timeout_seconds',
    env: [],
    schema: seconds,
    fallback: defaults.upstream.headersTimeoutSeconds,
    description: 'Seconds to wait for upstream response headers.',
  },
  chunkGapTimeoutSeconds: {
    path: 'agw.chunk_gap_timeout_seconds',
    env: [],
    schema: seconds,
    fallback: defaults.upstream.chunkGapTimeoutSeconds,
    description: 'Seconds of upstream silence between stream chunks before the stream counts as stalled.',
  },
  bodyLimitBytes: {
    path: 'agw.body_limit_bytes',
    env: [],
    schema: z.number().int().min(1024),
    fallback: defaults.server.bodyLimitBytes,
    description: 'Largest accepted request body, in bytes; larger bodies get 413.',
  },
  heartbeatIntervalSeconds: {
    path: 'agw.heartbeat_interval_seconds',
    env: [],
    schema: seconds,
    fallback: defaults.server.heartbeatIntervalSeconds,
    description: 'Seconds of upstream silence after which a stream gets a keep-alive ping.',
  },
  allowRemoteImages: {
    path: 'agw.allow_remote_images',
    env: [],
    schema: z.boolean(),
    fallback: defaults.server.allowRemoteImages,
    description: 'Accept http(s) image URLs from clients (never loopback or private addresses).',
  },
  metricsOpen: {
    path: 'agw.metrics_open',
    env: [],
    schema: z.boolean(),
    fallback: defaults.auth.metricsOpen,
    description: 'Serve /metrics without the API key.',
  },
  customMapping: {
    path: 'proxy.custom_mapping',
    env: [],
    schema: z.record(z.string(), z.string()),
    fallback: {},
    description: 'Model mapping: exact names and `*` wildcards → upstream model.',
  },
  enableLogging: {
    path: 'proxy.enable_logging',
    env: [],
    schema: z.boolean(),
    fallback: defaults.requestLog.enabled,
    description: 'Keep the request log (agw.db).',
  },
  strategy: {
    path: 'agw.strategy',
    env: [],
    schema: z.enum(strategies).nullable(),
    fallback: null,
    description:
      'sticky | round-robin | quota-aware. Unset: derived from proxy.scheduling.mode (PerformanceFirst → quota-aware without session affinity, CacheFirst and Balance → sticky).',
  },
  schedulingMode: {
    path: 'proxy.scheduling.mode',
    env: [],
    schema: z.enum(schedulingModes),
    fallback: 'Balance',
    description: 'The reference scheduling mode: CacheFirst and Balance → sticky, PerformanceFirst → quota-aware.',
  },
  maxWaitSeconds: {
    path: 'proxy.scheduling.max_wait_seconds',
    env: [],
    schema: z.number().min(0).finite(),
    fallback: defaults.pool.maxWaitSeconds,
    description: 'When every account is limited: seconds to wait for one to free up before answering 429.',
  },
  maxAttempts: {
    path: 'agw.max_attempts',
    env: [],
    schema: z.number().int().min(1).max(20),
    fallback: defaults.pool.maxAttempts,
    description: 'Attempts per request across accounts (never more than the pool size + 1).',
  },
  requestDeadlineSeconds: {
    path: 'agw.request_deadline_seconds',
    env: [],
    schema: seconds,
    fallback: defaults.pool.requestDeadlineSeconds,
    description: 'Total seconds a request may spend choosing accounts and retrying.',
  },
  stickyTtlSeconds: {
    path: 'agw.sticky_ttl_seconds',
    env: [],
    schema: seconds,
    fallback: defaults.pool.stickyTtlSeconds,
    description: 'Seconds a session stays bound to its account after its last request.',
  },
  refreshMarginSeconds: {
    path: 'agw.refresh_margin_seconds',
    env: [],
    schema: z.number().int().min(0).max(3000),
    fallback: defaults.pool.refreshMarginSeconds,
    description: 'Refresh access tokens this many seconds before they expire.',
  },
  circuitBreakerEnabled: {
    path: 'circuit_breaker.enabled',
    env: [],
    schema: z.boolean(),
    fallback: defaults.pool.circuitBreakerEnabled,
    description: 'Cool accounts down after rate limits (off: rotate only).',
  },
  backoffStepsSeconds: {
    path: 'circuit_breaker.backoff_steps',
    env: [],
    schema: z.array(z.number().int().positive()).min(1),
    fallback: defaults.pool.backoffStepsSeconds,
    description: 'Cooldown seconds for the 1st, 2nd, … QUOTA_EXHAUSTED without a reset time.',
  },
  poisonThreshold: {
    path: 'agw.poison_threshold',
    env: [],
    schema: z.number().int().min(2).max(20),
    fallback: defaults.pool.poisonThreshold,
    description: 'Accounts in a row that reject the same request before it is failed alone.',
  },
  quotaRefreshIntervalMinutes: {
    path: 'refresh_interval',
    env: [],
    schema: z.number().positive().finite(),
    fallback: defaults.quota.refreshIntervalMinutes,
    description: 'Minutes between background quota refreshes (the reference key).',
  },
  quotaProtectionEnabled: {
    path: 'quota_protection.enabled',
    env: [],
    schema: z.boolean(),
    fallback: defaults.quota.protectionEnabled,
    description: 'Stop using an account for a model whose remaining quota is below the threshold.',
  },
  quotaProtectionThreshold: {
    path: 'quota_protection.threshold_percentage',
    env: [],
    schema: z.number().min(0).max(100),
    fallback: defaults.quota.protectionThresholdPercentage,
    description: 'Percent remaining below which a monitored model is protected.',
  },
  quotaProtectionModels: {
    path: 'quota_protection.monitored_models',
    env: [],
    schema: z.array(z.string()),
    fallback: defaults.quota.protectionMonitoredModels,
    description: 'Model families watched by quota protection.',
  },
  warmUpEnabled: {
    path: 'scheduled_warmup.enabled',
    env: ['AGW_WARM_UP'],
    schema: z.boolean(),
    fallback: defaults.warmUp.enabled,
    fromEnv: booleanFromText,
    description:
      "Scheduled warm-up: a tiny generation per account and model family as soon as the family's quota window has reset, so the next 5-hour window starts early (the reference key). Off by default.",
  },
  warmUpModels: {
    path: 'scheduled_warmup.monitored_models',
    env: [],
    schema: z.array(z.string().min(1)),
    fallback: defaults.warmUp.families,
    description:
      'Model families the warm-up keeps warm (family names like `claude`, or model names; one call per family and account).',
  },
  warmUpIntervalMinutes: {
    path: 'agw.warm_up_interval_minutes',
    env: [],
    schema: z.number().positive().finite(),
    fallback: defaults.warmUp.intervalMinutes,
    description: 'Minutes between warm-up checks (a check sends calls only for windows that have reset).',
  },
  backgroundTaskDowngrade: {
    path: 'agw.background_task_downgrade',
    env: [],
    schema: z.boolean(),
    fallback: defaults.models.backgroundTaskDowngrade,
    description: "Send Claude Code's title/summary side calls to the background-task model.",
  },
  backgroundTaskModel: {
    path: 'agw.background_task_model',
    env: [],
    schema: z.string().min(1),
    fallback: defaults.models.backgroundTaskModel,
    description: 'Upstream model for background tasks.',
  },
  promptRewrite: {
    path: 'agw.prompt_rewrite',
    env: ['AGW_PROMPT_REWRITE'],
    schema: z.boolean(),
    fallback: defaults.models.promptRewrite,
    fromEnv: booleanFromText,
    description:
      "Rewrite the system-prompt phrases of agw.prompt_rewrite_phrases before sending (Google's prompt filter answers them 429 without a quota reason). Off: prompts go as sent.",
  },
  useCredits: {
    path: 'agw.use_credits',
    env: ['AGW_USE_CREDITS'],
    schema: z.boolean(),
    fallback: defaults.models.useCredits,
    fromEnv: booleanFromText,
    description:
      'When an account answers 429 QUOTA_EXHAUSTED for a model and its last quota snapshot reported Google One AI credits at or above the usable minimum, send the call once more with enabledCreditTypes ["GOOGLE_ONE_AI"] (credits are spent).',
  },
  promptRewritePhrases: {
    path: 'agw.prompt_rewrite_phrases',
    env: [],
    schema: z.array(z.string().min(1)),
    fallback: defaults.models.promptRewritePhrases,
    description:
      'Phrases rewritten when agw.prompt_rewrite is on: `find => replacement`, or `find` alone to remove it. Default: the trigger phrases peers documented.',
  },
  redisUrl: {
    path: 'agw.redis_url',
    env: ['AGW_REDIS_URL'],
    schema: z.url({ protocol: /^rediss?$/ }).nullable(),
    fallback: null,
    secret: true,
    description:
      'Redis 7 URL (redis://[user:password@]host:port[/db], rediss:// for TLS). Set: several gateways share one pool through it (accounts, cooldowns, quota, refresh leases); unset: the data directory is the store. Restart to apply.',
  },
  instanceId: {
    path: 'agw.instance_id',
    env: ['AGW_INSTANCE_ID'],
    schema: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'letters, digits, . _ : - (at most 64)')
      .nullable(),
    fallback: null,
    description:
      'Name of this gateway among several on one Redis (metrics label `instance`, admin API, logs). Unset: `<hostname>-<pid>`.',
  },
  requestLogMaxAgeDays: {
    path: 'agw.request_log_max_age_days',
    env: [],
    schema: z.number().positive().finite(),
    fallback: defaults.requestLog.maxAgeDays,
    description: 'Days request-log rows are kept.',
  },
  requestLogMaxRows: {
    path: 'agw.request_log_max_rows',
    env: [],
    schema: z.number().int().min(100),
    fallback: defaults.requestLog.maxRows,
    description: 'Most request-log rows kept.',
  },
} as const satisfies Record<string, SettingDefinition>;

export type SettingName = keyof typeof settingsTable;
export type SettingValues = { [Name in SettingName]: z.infer<(typeof settingsTable)[Name]['schema']> };

/** Finds a setting by its gui_config.json path (what `agw config get/set` takes). */
export function settingByPath(path: string): [SettingName, SettingDefinition] | undefined {
  for (const [name, definition] of Object.entries(settingsTable) as Array<[SettingName, SettingDefinition]>) {
    if (definition.path === path) return [name, definition];
  }
  return undefined;
}

export { booleanFromText, listFromText, numberFromText };
