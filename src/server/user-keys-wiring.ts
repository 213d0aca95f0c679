/**
 * The gateway's user keys: the key table of agw.db behind the in-memory registry, a timer that picks up changes
 * made by other processes and writes last-used times, and the request log as the memory of today's token usage.
 */
import { GatewayError } from '../errors/catalogue.ts';
import { createKeyRegistry, type KeyRegistry } from '../keys/key-registry.ts';
import type { Logger } from '../telemetry/log-port.ts';
import type { RequestLog } from '../telemetry/request-log.ts';
import { openUserKeyStore } from '../telemetry/user-key-store.ts';

/** How often a running gateway looks for keys changed by another process (and writes last-used times), ms. */
const refreshIntervalMs = 1000;

export interface UserKeysRuntime {
  registry: KeyRegistry;
  close(): void;
}

/**
 * Opens the key store, or — when agw.db cannot be used — logs one clear error and returns undefined: the gateway
 * then serves with its single API key only, rather than refusing to start.
 */
export function openUserKeysOrNone(options: {
  path: string;
  requestLog: RequestLog;
  now: () => number;
  logger: Logger;
}): UserKeysRuntime | undefined {
  const { logger } = options;
  let store: ReturnType<typeof openUserKeyStore>;
  try {
    store = openUserKeyStore({ path: options.path });
  } catch (error) {
    logger.error(
      { code: GatewayError.is(error) ? error.code : 'AGW_STORE_IO' },
      `${error instanceof Error ? error.message : String(error)} User keys are off until then; the API key still works.`,
    );
    return undefined;
  }
  const registry = createKeyRegistry({
    source: store,
    now: options.now,
    usedToday: (dayStart) =>
      new Map(
        options.requestLog
          .usage({ groupBy: 'key', since: dayStart })
          .filter((row) => row.key !== '')
          .map((row) => [row.key, row.totalTokens]),
      ),
  });
  const timer = setInterval(() => {
    try {
      registry.refresh();
    } catch (error) {
      logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'reading the user keys failed');
    }
  }, refreshIntervalMs);
  timer.unref();
  return {
    registry,
    close() {
      clearInterval(timer);
      try {
        registry.flush();
      } finally {
        store.close();
      }
    },
  };
}
