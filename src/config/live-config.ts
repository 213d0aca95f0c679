/**
 * Hot reload. The running server holds one LiveConfig: the current frozen GatewayConfig plus change events.
 * A change made through the admin API reloads at once; a change made by another process (the CLI, an editor,
 * the reference app) is noticed by the store's file watch (fs.watch plus a stat check). An invalid file is
 * reported and the last good configuration stays in force.
 */
import { toGatewayError } from '../errors/catalogue.ts';
import { watchConfigFile } from '../store/config-file.ts';
import type { Logger } from '../telemetry/log-port.ts';
import type { GatewayConfig } from './gateway-config.ts';
import { type CommandLineOverrides, configFromObject, type Environment, readConfigObject } from './load.ts';

export type ConfigListener = (next: GatewayConfig, previous: GatewayConfig) => void;

export interface LiveConfig {
  current(): GatewayConfig;
  /** Re-reads the file now; resolves to true when the configuration changed. */
  reload(): Promise<boolean>;
  subscribe(listener: ConfigListener): () => void;
  close(): void;
}

export interface LiveConfigOptions {
  initial: GatewayConfig;
  overrides?: CommandLineOverrides;
  environment?: Environment;
  logger: Logger;
  /** Quiet time after a file change before it is read, in ms (editors write in several steps). */
  debounceMs?: number;
}

export function createLiveConfig(options: LiveConfigOptions): LiveConfig {
  let config = options.initial;
  const listeners = new Set<ConfigListener>();
  let reloading: Promise<boolean> | undefined;

  const reloadOnce = async (): Promise<boolean> => {
    let next: GatewayConfig;
    try {
      const file = await readConfigObject(config.dataDir);
      next = configFromObject(config.dataDir, file, options.overrides ?? {}, options.environment ?? process.env);
    } catch (error) {
      options.logger.error(
        { code: toGatewayError(error).code },
        `configuration not reloaded: ${toGatewayError(error).message}`,
      );
      return false;
    }
    if (JSON.stringify(next) === JSON.stringify(config)) return false;
    const previous = config;
    config = next;
    options.logger.info('configuration reloaded');
    for (const listener of listeners) listener(next, previous);
    return true;
  };

  const reload = (): Promise<boolean> => {
    // Concurrent triggers (poll + API) share one read instead of racing each other.
    reloading ??= reloadOnce().finally(() => {
      reloading = undefined;
    });
    return reloading;
  };

  const stopWatching = watchConfigFile(config.dataDir, () => void reload(), {
    debounceMs: options.debounceMs ?? 150,
    logger: options.logger,
  });

  return {
    current: () => config,
    reload,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: stopWatching,
  };
}
