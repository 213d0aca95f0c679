/**
 * The resolved configuration every layer receives: grouped by layer, in whole units (milliseconds and bytes),
 * with derived values (effective auth mode, bind host, strategy) computed once here instead of in each caller.
 */

import { hostname } from 'node:os';
import type { OutboundProxySettings } from '../upstream/proxy/choose-proxy.ts';
import { defaults } from './defaults.ts';
import type { authModes, SettingValues, strategies } from './settings-table.ts';

export type AuthMode = (typeof authModes)[number];
export type Strategy = (typeof strategies)[number];

export interface GatewayConfig {
  readonly dataDir: string;
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly allowLanAccess: boolean;
    readonly bodyLimitBytes: number;
    readonly heartbeatIntervalMs: number;
    readonly allowRemoteImages: boolean;
    /** Serving beyond loopback with authentication off is refused unless this is set. */
    readonly allowUnauthenticatedLan: boolean;
    /** Extra Host names the admin API and console answer to. */
    readonly allowedHosts: readonly string[];
  };
  readonly auth: {
    readonly mode: AuthMode;
    readonly apiKey: string;
    /** The admin password, or the API key when no password is set (the reference's fallback). */
    readonly adminSecret: string;
    readonly adminPasswordSet: boolean;
    readonly metricsOpen: boolean;
    readonly failuresBeforeThrottle: number;
  };
  readonly upstream: {
    readonly endpoints: readonly string[];
    readonly connectTimeoutMs: number;
    readonly headersTimeoutMs: number;
    readonly chunkGapTimeoutMs: number;
    readonly totalTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly clientVersion: string;
    readonly userAgent: string;
  };
  readonly google: {
    readonly tokenUrl: string;
    readonly authUrl: string;
    readonly userinfoUrl: string;
    readonly clientId: string;
    readonly clientSecret: string;
    readonly oauthClientKey: string;
    readonly timeoutMs: number;
    readonly codeAssistTimeoutMs: number;
    readonly userAgent: string;
  };
  readonly pool: {
    readonly strategy: Strategy;
    readonly maxWaitSeconds: number;
    readonly maxAttempts: number;
    readonly requestDeadlineMs: number;
    readonly stickyTtlSeconds: number;
    readonly refreshMarginSeconds: number;
    readonly circuitBreakerEnabled: boolean;
    readonly backoffStepsSeconds: readonly number[];
    readonly poisonThreshold: number;
  };
  readonly quota: {
    readonly refreshIntervalMs: number;
    readonly refreshConcurrency: number;
    readonly protectionEnabled: boolean;
    readonly protectionThresholdPercentage: number;
    readonly protectionMonitoredModels: readonly string[];
  };
  readonly warmUp: {
    /** The scheduled warm-up runs (manual runs through the CLI or the admin API work either way). */
    readonly enabled: boolean;
    /** Entries of scheduled_warmup.monitored_models: family keys or model names. */
    readonly families: readonly string[];
    readonly intervalMs: number;
    /** Length of the short quota window, for families whose window state is unknown. */
    readonly windowMs: number;
    readonly maxOutputTokens: number;
  };
  readonly models: {
    readonly customMapping: Readonly<Record<string, string>>;
    readonly backgroundTaskDowngrade: boolean;
    readonly backgroundTaskModel: string;
    /** Phrases rewritten in every system instruction (`find => replacement`); empty when agw.prompt_rewrite is off. */
    readonly promptRewrite: readonly string[];
    /** agw.use_credits: pay with Google One AI credits once a model's free quota is spent. */
    readonly useCredits: boolean;
  };
  readonly logging: {
    readonly level: string;
    /** `auto` resolves to pretty or json at start (config/load.ts's logFormatOf). */
    readonly format: 'auto' | 'json' | 'pretty';
    readonly retentionDays: number;
    readonly maxTotalBytes: number;
  };
  readonly requestLog: { readonly enabled: boolean; readonly maxAgeDays: number; readonly maxRows: number };
  /** Outbound proxies (issue 18); an account's own `proxy_url` is read from its file, not from here. */
  readonly outbound: OutboundProxySettings;
  readonly shared: {
    /** Redis URL of the shared pool; null: this gateway keeps its pool to itself (data directory). */
    readonly redisUrl: string | null;
    /** This gateway's name among several (metrics label, admin API). */
    readonly instanceId: string;
    /**
     * Whether metrics carry `instance_id`: with a shared pool, or a name given explicitly. A lone gateway's default
     * name changes with its pid, which would start new series at every restart.
     */
    readonly labelMetrics: boolean;
  };
}

/**
 * The authentication mode in force. `auto` is decided from the addresses the server actually holds: open only
 * while every one of them is loopback, the API key required as soon as any other machine could connect.
 */
export function resolveAuthMode(mode: AuthMode, loopbackOnly: boolean): Exclude<AuthMode, 'auto'> {
  if (mode !== 'auto') return mode;
  return loopbackOnly ? 'off' : 'all_except_health';
}

const secondsToMs = (seconds: number): number => Math.round(seconds * 1000);

export function buildGatewayConfig(
  dataDir: string,
  values: SettingValues,
  environmentProxy: OutboundProxySettings['environmentProxy'] = { http: null, https: null },
): GatewayConfig {
  const adminPassword = values.adminPassword ?? '';
  const platform =
    process.platform === 'darwin'
      ? 'Macintosh; Intel Mac OS X 10_15_7'
      : process.platform === 'win32'
        ? 'Windows NT 10.0; Win64; x64'
        : 'X11; Linux x86_64';
  const version = values.upstreamClientVersion;
  return {
    dataDir,
    server: {
      host: values.host ?? (values.allowLanAccess ? '0.0.0.0' : defaults.server.host),
      port: values.port,
      allowLanAccess: values.allowLanAccess,
      bodyLimitBytes: values.bodyLimitBytes,
      heartbeatIntervalMs: secondsToMs(values.heartbeatIntervalSeconds),
      allowRemoteImages: values.allowRemoteImages,
      allowUnauthenticatedLan: values.allowUnauthenticatedLan,
      allowedHosts: values.allowedHosts,
    },
    auth: {
      mode: values.authMode,
      apiKey: values.apiKey,
      adminSecret: adminPassword !== '' ? adminPassword : values.apiKey,
      adminPasswordSet: adminPassword !== '',
      metricsOpen: values.metricsOpen,
      failuresBeforeThrottle: defaults.auth.failuresBeforeThrottle,
    },
    upstream: {
      endpoints: values.upstreamEndpoints,
      connectTimeoutMs: secondsToMs(defaults.upstream.connectTimeoutSeconds),
      headersTimeoutMs: secondsToMs(values.headersTimeoutSeconds),
      chunkGapTimeoutMs: secondsToMs(values.chunkGapTimeoutSeconds),
      totalTimeoutMs: secondsToMs(values.requestTimeoutSeconds),
      keepAliveTimeoutMs: secondsToMs(defaults.upstream.keepAliveTimeoutSeconds),
      clientVersion: version,
      userAgent:
        values.upstreamUserAgent.trim() !== ''
          ? values.upstreamUserAgent.trim()
          : `Antigravity/${version} (${platform}) Chrome/132.0.6834.160 Electron/39.2.3`,
    },
    google: {
      tokenUrl: values.oauthTokenUrl,
      authUrl: values.oauthAuthUrl,
      userinfoUrl: values.userinfoUrl,
      clientId: values.oauthClientId,
      clientSecret: values.oauthClientSecret,
      oauthClientKey: defaults.google.oauthClientKey,
      timeoutMs: secondsToMs(defaults.google.timeoutSeconds),
      codeAssistTimeoutMs: secondsToMs(defaults.google.codeAssistTimeoutSeconds),
      userAgent: `vscode/1.X.X (Antigravity/${version})`,
    },
    pool: {
      strategy: values.strategy ?? (values.schedulingMode === 'PerformanceFirst' ? 'quota-aware' : 'sticky'),
      maxWaitSeconds: values.maxWaitSeconds,
      maxAttempts: values.maxAttempts,
      requestDeadlineMs: secondsToMs(values.requestDeadlineSeconds),
      stickyTtlSeconds: values.stickyTtlSeconds,
      refreshMarginSeconds: values.refreshMarginSeconds,
      circuitBreakerEnabled: values.circuitBreakerEnabled,
      backoffStepsSeconds: values.backoffStepsSeconds,
      poisonThreshold: values.poisonThreshold,
    },
    quota: {
      refreshIntervalMs: secondsToMs(values.quotaRefreshIntervalMinutes * 60),
      refreshConcurrency: defaults.quota.refreshConcurrency,
      protectionEnabled: values.quotaProtectionEnabled,
      protectionThresholdPercentage: values.quotaProtectionThreshold,
      protectionMonitoredModels: values.quotaProtectionModels,
    },
    warmUp: {
      enabled: values.warmUpEnabled,
      families: values.warmUpModels,
      intervalMs: secondsToMs(values.warmUpIntervalMinutes * 60),
      windowMs: secondsToMs(defaults.warmUp.windowHours * 3600),
      maxOutputTokens: defaults.warmUp.maxOutputTokens,
    },
    models: {
      customMapping: values.customMapping,
      backgroundTaskDowngrade: values.backgroundTaskDowngrade,
      backgroundTaskModel: values.backgroundTaskModel,
      promptRewrite: values.promptRewrite ? values.promptRewritePhrases : [],
      useCredits: values.useCredits,
    },
    logging: {
      level: values.logLevel,
      format: values.logFormat,
      retentionDays: defaults.logging.retentionDays,
      maxTotalBytes: defaults.logging.maxTotalBytes,
    },
    requestLog: {
      enabled: values.enableLogging,
      maxAgeDays: values.requestLogMaxAgeDays,
      maxRows: values.requestLogMaxRows,
    },
    outbound: {
      globalProxy:
        values.upstreamProxyEnabled && values.upstreamProxyUrl.trim() !== '' ? values.upstreamProxyUrl.trim() : null,
      environmentProxy,
      noProxy: values.noProxy,
    },
    shared: {
      redisUrl: values.redisUrl,
      instanceId: values.instanceId ?? `${hostname()}-${process.pid}`,
      labelMetrics: values.redisUrl !== null || values.instanceId !== null,
    },
  };
}
