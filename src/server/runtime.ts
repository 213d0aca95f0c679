/**
 * Starting and stopping the gateway: builds every service from the configuration, loads the pool from the data
 * directory, keeps it in step with the store (changes from this process at once, from other processes through
 * the store's watch) and with the configuration (hot reload), and listens.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../config/gateway-config.ts';
import { createLiveConfig } from '../config/live-config.ts';
import type { CommandLineOverrides, Environment } from '../config/load.ts';
import { GatewayError } from '../errors/catalogue.ts';
import { createAccountPool } from '../pool/pool.ts';
import type { Clock, PoolEvent } from '../pool/ports.ts';
import { createSignatureStore } from '../protocols/anthropic/signature-store.ts';
import { openConfiguredStore } from '../store/open-store.ts';
import { describeRedisUrl } from '../store/redis/connection.ts';
import { redisRefreshLease } from '../store/redis/refresh-lease.ts';
import { redisPoolState } from '../store/redis/shared-pool-state.ts';
import { replayTokenJournal } from '../store/token-journal.ts';
import { createEventBus } from '../telemetry/event-bus.ts';
import type { Logger } from '../telemetry/log-port.ts';
import { createMetrics, type Metrics } from '../telemetry/metrics.ts';
import { registerSecret } from '../telemetry/redaction.ts';
import { openRequestLogOrDisabled } from '../telemetry/request-log.ts';
import { buildApp } from './app.ts';
import { bindingFromConfiguredHost, describeBinding, describeListening, localUrl } from './bind-address.ts';
import { createOutboundClients } from './composition.ts';
import { ensureConsoleBuilt } from './console-build.ts';
import { checkExposure } from './exposure.ts';
import { poolSettingsFrom, poolStorageFrom, projectResolverFrom, systemClock, tokenClientFrom } from './pool-wiring.ts';
import { createQuotaRefresher } from './quota-refresher.ts';
import { relayServices } from './serve-generation.ts';
import type { AdminEvent, GatewayServices } from './services.ts';
import { openUserKeysOrNone } from './user-keys-wiring.ts';
import { createWarmUpScheduler } from './warm-up-scheduler.ts';

export interface GatewayOptions {
  config: GatewayConfig;
  logger: Logger;
  overrides?: CommandLineOverrides;
  environment?: Environment;
  /** Directory of the built console (default: dist/web of this package). */
  consoleDirectory?: string;
  /** Refresh quotas in the background (default true; tests drive refreshes themselves). */
  backgroundQuotaRefresh?: boolean;
  /** The pool's clock (default: the system clock); tests move it forward to expire cooldowns and tokens. */
  clock?: Clock;
  /** Run the warm-up timer (default: as backgroundQuotaRefresh; each tick still needs scheduled_warmup.enabled). */
  backgroundWarmUp?: boolean;
}

export interface RunningGateway {
  app: FastifyInstance;
  services: GatewayServices;
  /** A URL local clients can use, e.g. http://127.0.0.1:8045 (loopback also when bound to every interface). */
  url: string;
  /** What the server is bound to, for the start-up line, e.g. `http://0.0.0.0:8045 (every IPv4 interface)`. */
  listening: string;
  /** Set when the gateway serves beyond loopback without authentication (allowed explicitly). */
  warning?: string;
  close(): Promise<void>;
}

export const packageVersion: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const defaultConsoleDirectory = fileURLToPath(new URL('../../dist/web', import.meta.url));
/** Where a checkout keeps the console's sources and Vite (absent from an installed package, which ships dist/web). */
const consoleSources = {
  viteConfig: fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url)),
  viteEntry: fileURLToPath(new URL('../../node_modules/vite/bin/vite.js', import.meta.url)),
};

function metricsListener(metrics: Metrics): (event: PoolEvent) => void {
  return (event) => {
    if (event.type === 'refresh') {
      const outcome =
        event.outcome === 'ok' ? 'success' : event.outcome === 'revoked' ? 'invalid_grant' : 'transient_error';
      if (event.outcome !== 'stale') metrics.recordRefresh(outcome);
    }
    // Upstream 429s are counted per answer in relay/attempt.ts: not every 429 starts a cooldown.
  };
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { logger } = options;
  const initial = options.config;
  const liveConfig = createLiveConfig({
    initial,
    logger,
    ...(options.overrides ? { overrides: options.overrides } : {}),
    ...(options.environment ? { environment: options.environment } : {}),
  });
  // The data directory, or Redis when several gateways share the pool (agw.redis_url).
  const opened = openConfiguredStore(
    { dataDir: initial.dataDir, redisUrl: initial.shared.redisUrl },
    { mode: 'server', logger },
  );
  const { store } = opened;
  const sharing =
    opened.redis === undefined
      ? {}
      : {
          sharedState: redisPoolState(opened.redis.connection, { logger }),
          refreshLease: redisRefreshLease(opened.redis.connection, opened.redis.store),
        };
  if (opened.redis !== undefined) {
    const where = describeRedisUrl(initial.shared.redisUrl ?? '');
    logger.info({ redis: where, instance: initial.shared.instanceId }, `Sharing the pool through Redis at ${where}`);
  }
  // Every outbound agent is created here and closed in close(), nowhere else.
  const outbound = createOutboundClients(initial, () => liveConfig.current());
  const { google, upstream } = outbound;
  const metrics = createMetrics(initial.shared.labelMetrics ? { instanceId: initial.shared.instanceId } : {});
  const events = createEventBus<AdminEvent>({ maxListeners: 256 });
  const now = (): number => Date.now();
  const pool = createAccountPool({
    clock: options.clock ?? systemClock,
    tokenClient: tokenClientFrom(google),
    projectResolver: projectResolverFrom(google),
    // A skipped disable means another process holds newer credentials: read them back (reloadPool is hoisted).
    storage: poolStorageFrom(store, now, () => void reloadPool().catch(() => undefined), {
      shared: opened.redis !== undefined,
    }),
    settings: poolSettingsFrom(initial),
    logger,
    ...sharing,
    onEvent: (event) => {
      metricsListener(metrics)(event);
      if (event.type === 'account-state') events.publish({ type: 'account', accountId: event.accountId });
    },
  });

  let accountModelNames: readonly string[] = [];
  let modelForwarding: Readonly<Record<string, string>> = {};
  /** Accounts whose last snapshot reported Google One AI credits at or above the usable minimum. */
  let creditAccounts: ReadonlySet<string> = new Set();
  let reloading: Promise<void> | undefined;
  let reloadAgain = false;
  const reloadOnce = async (): Promise<void> => {
    const { accounts, problems } = await store.list();
    for (const problem of problems) logger.warn({ file: problem.file }, `account file skipped: ${problem.message}`);
    for (const account of accounts) {
      registerSecret(account.token.refresh_token);
      registerSecret(account.token.access_token);
    }
    pool.load(accounts);
    accountModelNames = [
      ...new Set(accounts.flatMap((account) => account.quota?.models.map((model) => model.name) ?? [])),
    ];
    creditAccounts = new Set(
      accounts
        .filter((account) => {
          const credits = account.quota?.google_one_credits;
          return credits != null && credits.amount > 0 && credits.amount >= credits.minimum_for_usage;
        })
        .map((account) => account.id),
    );
    modelForwarding = Object.freeze(
      Object.assign({}, ...accounts.map((account) => account.quota?.model_forwarding_rules ?? {})),
    );
  };
  // Reloads never overlap; a change arriving during one triggers exactly one more.
  const reloadPool = async (): Promise<void> => {
    if (reloading) {
      reloadAgain = true;
      return reloading;
    }
    reloading = (async () => {
      try {
        do {
          reloadAgain = false;
          await reloadOnce();
        } while (reloadAgain);
      } finally {
        reloading = undefined;
      }
    })();
    return reloading;
  };
  await replayTokenJournal(store, logger);
  await reloadPool();
  // What a seen change sets off (reload, then a first quota snapshot for new accounts) is tracked so close() can
  // wait for it: a reaction still running after close would write into a data directory its owner may be removing.
  const watchReactions = new Set<Promise<void>>();
  const stopWatchingFiles = store.watch((change) => {
    const reaction = reloadPool()
      .then(async () => {
        const ids = change.accountIds === 'all' ? ['*'] : change.accountIds;
        for (const accountId of ids) events.publish({ type: 'account', accountId });
        // Accounts added by another process (the CLI) get their first quota snapshot now, not at the next round.
        if (services.quota !== undefined && options.backgroundQuotaRefresh !== false) {
          const { accounts } = await store.list();
          const missing = accounts.filter((account) => !account.quota && !account.disabled && !account.proxy_disabled);
          if (missing.length > 0) await services.quota.refreshNow(missing.map((account) => account.id));
        }
      })
      .catch((error: unknown) => logger.error({ err: error }, 'reloading the accounts failed'));
    watchReactions.add(reaction);
    void reaction.finally(() => watchReactions.delete(reaction));
  });
  /** Stops watching, then waits for every reaction already started (they may start more: wait until none is left). */
  const stopWatching = async (): Promise<void> => {
    stopWatchingFiles();
    while (watchReactions.size > 0) await Promise.all([...watchReactions]);
  };

  const requestLog = openRequestLogOrDisabled({
    path: join(initial.dataDir, 'agw.db'),
    retention: { maxAgeDays: initial.requestLog.maxAgeDays, maxRows: initial.requestLog.maxRows },
    logger,
  });

  const userKeys = openUserKeysOrNone({ path: join(initial.dataDir, 'agw.db'), requestLog, now, logger });

  liveConfig.subscribe((next, previous) => {
    pool.updateSettings(poolSettingsFrom(next));
    if (next.server.port !== previous.server.port || next.server.host !== previous.server.host) {
      logger.warn('the listening address changed in the configuration; restart agw to apply it');
    }
    if (
      next.upstream.endpoints.join() !== previous.upstream.endpoints.join() ||
      next.google.tokenUrl !== previous.google.tokenUrl
    ) {
      logger.warn('upstream or OAuth endpoints changed in the configuration; restart agw to apply them');
    }
  });

  const services: GatewayServices = {
    config: () => liveConfig.current(),
    liveConfig,
    pool,
    upstream,
    store,
    google,
    logger,
    metrics,
    requestLog,
    ...(userKeys ? { userKeys: userKeys.registry } : {}),
    signatureStore: createSignatureStore({ maxEntries: 50_000, ttlMs: 24 * 60 * 60 * 1000, now }),
    events,
    reloadPool,
    modelForwarding: () => modelForwarding,
    mayPayWithCredits: (accountId) => liveConfig.current().models.useCredits && creditAccounts.has(accountId),
    now,
    version: packageVersion,
    instanceId: initial.shared.instanceId,
    ...(opened.redis === undefined ? {} : { sharedStore: () => opened.redis!.connection.health() }),
  };
  const quotaRefresher = createQuotaRefresher({
    store,
    accessToken: (account, tokenOptions) => pool.accessTokenFor(account.id, tokenOptions),
    google,
    config: () => liveConfig.current(),
    logger,
    now,
    reloadPool,
    onAccountUpdated: (accountId) => events.publish({ type: 'account', accountId }),
  });
  services.quota = quotaRefresher;
  // A warm-up never pays with Google One AI credits: it exists to start a free quota window, not to spend money.
  const { mayPayWithCredits: _neverForWarmUps, ...warmUpRelay } = relayServices(services);
  const warmUp = createWarmUpScheduler({
    store,
    pool,
    relay: warmUpRelay,
    requestLog,
    config: () => liveConfig.current(),
    logger,
    now: () => (options.clock ?? systemClock).now(),
    onRecorded: (entry) => events.publish({ type: 'request', entry }),
  });
  services.warmUp = warmUp;
  const consoleDirectory = options.consoleDirectory ?? defaultConsoleDirectory;
  // The console is always there: built once on the first start of a checkout (a given directory is the caller's).
  if (options.consoleDirectory === undefined) {
    await ensureConsoleBuilt({ directory: consoleDirectory, ...consoleSources, logger });
  }
  // Until the server listens, assume what the configured host says (a name counts as reachable from outside).
  let binding = bindingFromConfiguredHost(initial.server.host, initial.server.allowedHosts);
  const app = await buildApp(services, {
    accountModelNames: () => accountModelNames,
    consoleDirectory,
    binding: () => binding,
  });
  await app.listen({ host: initial.server.host, port: initial.server.port });
  const bound = app.addresses().flatMap((address) => (typeof address === 'string' ? [] : [address]));
  binding = describeBinding(
    bound.map((address) => address.address),
    { extraHostNames: initial.server.allowedHosts },
  );
  const port = bound[0]?.port ?? initial.server.port;
  const exposure = checkExposure(binding, liveConfig.current());
  if (exposure.refused) {
    await app.close();
    await stopWatching();
    await pool.settle();
    await outbound.close();
    userKeys?.close();
    requestLog.close();
    liveConfig.close();
    pool.close();
    await opened.close();
    throw new GatewayError('AGW_CONFIG_INVALID', exposure.message ?? 'refusing to serve beyond loopback');
  }
  if (exposure.message !== undefined) logger.warn(exposure.message);
  if (options.backgroundQuotaRefresh !== false) quotaRefresher.start();
  if ((options.backgroundWarmUp ?? options.backgroundQuotaRefresh) !== false) warmUp.start();
  const url = localUrl(binding, port);
  const listening = describeListening(binding, port);
  logger.info(
    { url, addresses: binding.addresses, accounts: pool.size },
    `agw ${packageVersion} listening on ${listening}`,
  );

  return {
    app,
    services,
    url,
    listening,
    ...(exposure.message ? { warning: exposure.message } : {}),
    async close() {
      // Watching stops first: a change seen later could start a quota round after the refresher stopped.
      await stopWatching();
      await warmUp.stop();
      await quotaRefresher.stop();
      liveConfig.close();
      await app.close();
      await pool.settle();
      await outbound.close();
      userKeys?.close();
      requestLog.close();
      pool.close();
      await opened.close();
    },
  };
}
