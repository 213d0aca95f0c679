/**
 * The Redis connections of one process: one for commands, one for pub/sub (a subscribed connection can run
 * nothing else), and what the rest of agw needs to know about them — up or down since when, how many writes wait.
 *
 * A server (`mode: 'server'`) never gives up: commands issued while Redis is down wait in ioredis's offline queue
 * and run, in order, when it is back (writes are never dropped), and reconnection is retried every second at most.
 * Readers that must not wait (the hot path, the admin API) check `connected` and use the last state they know.
 * A command-line run (`mode: 'cli'`) fails after a few seconds with a clear error instead of hanging.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { GatewayError } from '../../errors/catalogue.ts';
import { type Logger, silentLogger } from '../../telemetry/log-port.ts';

/** When, after a reconnect, the shared state is read again (ms). */
const reconnectReplayDelaysMs = [0, 1_000, 5_000];

export interface SharedStoreHealth {
  readonly backend: 'redis';
  readonly connected: boolean;
  /** Epoch ms of the moment the connection was lost; absent while connected. */
  readonly downSinceMs?: number;
  /** Writes issued and not acknowledged yet (they wait for Redis while it is down). */
  readonly pendingWrites: number;
  /** Times the connection came back after being lost. */
  readonly reconnects: number;
}

export interface RedisConnection {
  readonly commands: Redis;
  /** Where Redis is, without the password (for messages). */
  readonly where: string;
  /** Key prefix of every agw key, e.g. `agw:`. */
  readonly prefix: string;
  /** Random per process: pub/sub messages carry it so a process can skip its own. */
  readonly origin: string;
  readonly connected: boolean;
  health(): SharedStoreHealth;
  /** Calls `listener` with each message on `channel`; returns the unsubscribe function. */
  subscribe(channel: string, listener: (message: string) => void): () => void;
  /** Runs after the connection came back: pub/sub messages may have been missed meanwhile. */
  onReconnect(listener: () => void): () => void;
  /** Counts `write` among the pending writes until it settles. */
  track<T>(write: Promise<T>): Promise<T>;
  /** Resolves when connected, or after `timeoutMs` (false then). */
  waitConnected(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface RedisConnectionOptions {
  mode: 'server' | 'cli';
  logger?: Logger;
  prefix?: string;
}

/** Shows where Redis is without the password of the URL. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return 'redis (unparsable URL)';
  }
}

export function openRedisConnection(url: string, options: RedisConnectionOptions): RedisConnection {
  const logger = options.logger ?? silentLogger;
  const server = options.mode === 'server';
  const where = describeRedisUrl(url);
  const common = {
    lazyConnect: false,
    // A server waits for Redis as long as it takes (the offline queue keeps writes in order); the CLI gives up.
    maxRetriesPerRequest: server ? null : 1,
    enableOfflineQueue: true,
    connectTimeout: server ? 10_000 : 3_000,
    retryStrategy: (times: number): number | null => {
      if (!server && times > 3) return null;
      return Math.min(times * 100, 1_000);
    },
  };
  const commands = new Redis(url, { ...common, connectionName: 'agw' });
  const subscriber = new Redis(url, { ...common, connectionName: 'agw-sub', autoResubscribe: true });
  const listeners = new Map<string, Set<(message: string) => void>>();
  const reconnectListeners = new Set<() => void>();
  let downSinceMs: number | undefined = Date.now();
  let everConnected = false;
  let reconnects = 0;
  let pendingWrites = 0;
  let closed = false;
  let lastErrorLogged = 0;

  const notifyReconnect = (): void => {
    if (closed) return;
    for (const listener of reconnectListeners) {
      try {
        listener();
      } catch (error) {
        logger.error({ error: String(error) }, 'a Redis reconnect listener failed');
      }
    }
  };
  const onError = (error: Error): void => {
    // ioredis reports every failed reconnect; one line per 10 s is enough to show the outage.
    if (Date.now() - lastErrorLogged < 10_000) return;
    lastErrorLogged = Date.now();
    if (server) logger.warn({ redis: where, error: error.message }, `Redis at ${where} is unreachable; retrying`);
  };
  commands.on('error', onError);
  subscriber.on('error', () => undefined);
  commands.on('ready', () => {
    const wasDown = downSinceMs;
    downSinceMs = undefined;
    if (everConnected) {
      reconnects += 1;
      logger.info({ redis: where, downMs: Date.now() - (wasDown ?? Date.now()) }, `Redis at ${where} is back`);
      // Now, and again a little later: the other gateways flush the writes they queued during the outage when
      // they reconnect, which may be after this one re-read the state (and before its subscription is back).
      for (const delayMs of reconnectReplayDelaysMs) {
        const timer = setTimeout(notifyReconnect, delayMs);
        timer.unref();
      }
    }
    everConnected = true;
  });
  commands.on('close', () => {
    if (downSinceMs === undefined && !closed) {
      downSinceMs = Date.now();
      logger.warn({ redis: where }, `Lost the connection to Redis at ${where}; serving from the last known state`);
    }
  });
  subscriber.on('message', (channel: string, message: string) => {
    for (const listener of listeners.get(channel) ?? []) {
      try {
        listener(message);
      } catch (error) {
        logger.error({ error: String(error), channel }, 'a Redis message listener failed');
      }
    }
  });

  const connection: RedisConnection = {
    commands,
    where,
    prefix: options.prefix ?? 'agw:',
    origin: randomUUID(),
    get connected() {
      return commands.status === 'ready';
    },
    health() {
      return {
        backend: 'redis',
        connected: commands.status === 'ready',
        ...(downSinceMs === undefined ? {} : { downSinceMs }),
        pendingWrites,
        reconnects,
      };
    },
    subscribe(channel, listener) {
      let set = listeners.get(channel);
      if (set === undefined) {
        set = new Set();
        listeners.set(channel, set);
        void subscriber.subscribe(channel).catch(() => undefined);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    track(write) {
      pendingWrites += 1;
      return write.finally(() => {
        pendingWrites -= 1;
      });
    },
    async waitConnected(timeoutMs) {
      if (commands.status === 'ready') return true;
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          commands.off('ready', onReady);
          resolve(false);
        }, timeoutMs);
        timer.unref();
        const onReady = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        commands.once('ready', onReady);
      });
    },
    async close() {
      closed = true;
      reconnectListeners.clear();
      listeners.clear();
      await Promise.allSettled([quit(commands), quit(subscriber)]);
    },
  };
  return connection;
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/** Wraps a failure of a Redis command (CLI: Redis unreachable) into the catalogue. */
export function redisError(error: unknown, where: string): GatewayError {
  if (GatewayError.is(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const unreachable = /max retries|ECONNREFUSED|Connection is closed|connect ETIMEDOUT/i.test(detail);
  return new GatewayError(
    'AGW_STORE_IO',
    unreachable
      ? `the shared store (Redis at ${where}, agw.redis_url) is unreachable; start it or fix the URL`
      : `the shared store (Redis at ${where}) could not be read or written: ${detail}`,
    { cause: error },
  );
}
