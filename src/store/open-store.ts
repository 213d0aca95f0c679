/**
 * The account store a configuration asks for: the data directory, or Redis when `agw.redis_url` is set (several
 * gateways, one pool). Every caller — `agw serve`, the CLI — goes through here, so a command run with the same
 * configuration as the gateways always changes the store they read.
 */
import type { Logger } from '../telemetry/log-port.ts';
import { type AccountStore, openAccountStore } from './account-store.ts';
import { openRedisConnection, type RedisConnection } from './redis/connection.ts';
import { openRedisAccountStore, type RedisAccountStore } from './redis/redis-account-store.ts';

export interface StoreSettings {
  dataDir: string;
  redisUrl: string | null;
}

export interface OpenedStore {
  store: AccountStore;
  /** Present when the store is Redis: the connection and the store's Redis-only reads. */
  redis?: { connection: RedisConnection; store: RedisAccountStore };
  close(): Promise<void>;
}

export function openConfiguredStore(
  settings: StoreSettings,
  options: { mode: 'server' | 'cli'; logger?: Logger },
): OpenedStore {
  if (settings.redisUrl === null) {
    const store = openAccountStore(settings.dataDir, options.logger === undefined ? {} : { logger: options.logger });
    return { store, close: async () => undefined };
  }
  const connection = openRedisConnection(settings.redisUrl, {
    mode: options.mode,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const store = openRedisAccountStore(connection, {
    dataDir: settings.dataDir,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  return { store, redis: { connection, store }, close: () => connection.close() };
}

/** Stores a command-line run opened; closed when the command ends, so the process can exit. */
const openedByCommands = new Set<OpenedStore>();

export function openStoreForCommand(settings: StoreSettings): AccountStore {
  const opened = openConfiguredStore(settings, { mode: 'cli' });
  openedByCommands.add(opened);
  return opened.store;
}

export async function closeCommandStores(): Promise<void> {
  const all = [...openedByCommands];
  openedByCommands.clear();
  await Promise.allSettled(all.map((opened) => opened.close()));
}
