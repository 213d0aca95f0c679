/** `agw serve`: the gateway, until SIGINT or SIGTERM. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ensureConfigFile } from '../../config/edit.ts';
import {
  type CommandLineOverrides,
  isInteractiveTerminal,
  loadConfig,
  logFormatOf,
  resolveDataDir,
} from '../../config/load.ts';
import { GatewayError } from '../../errors/catalogue.ts';
import { startGateway } from '../../server/runtime.ts';
import { ensurePrivateDirectory } from '../../store/atomic-file.ts';
import { createLogger } from '../../telemetry/logger.ts';
import { printLine } from '../output.ts';
import type { GlobalOptions } from './global-options.ts';

export function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new GatewayError('AGW_CONFIG_INVALID', `--port must be a whole number from 0 to 65535, not "${text}"`);
  }
  return port;
}

/** Resolves when the process is asked to stop. */
export function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: string): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export function registerServeCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('serve')
    .description('run the gateway: OpenAI, Anthropic and Gemini APIs, admin API and console (default 127.0.0.1:8045)')
    .option('--host <host>', 'address to bind (default 127.0.0.1, or from the config)')
    .option('--port <port>', 'port to listen on (default 8045, or from the config)')
    .option(
      '--allow-unauthenticated-lan',
      'allow serving beyond loopback with auth_mode off (refused otherwise; a warning is printed)',
    )
    .action(async (options: { host?: string; port?: string; allowUnauthenticatedLan?: boolean }) => {
      const overrides: CommandLineOverrides = {
        dataDir: globals().dataDir,
        host: options.host,
        port: parsePort(options.port),
        allowUnauthenticatedLan: options.allowUnauthenticatedLan,
      };
      const dataDir = resolveDataDir(overrides);
      await ensurePrivateDirectory(dataDir);
      await ensureConfigFile(dataDir);
      const config = await loadConfig(overrides);
      const logger = createLogger({
        level: config.logging.level as Parameters<typeof createLogger>[0]['level'],
        pretty: logFormatOf(config) === 'pretty',
        colour: isInteractiveTerminal(),
        logDir: join(dataDir, 'logs'),
        retentionDays: config.logging.retentionDays,
        maxTotalBytes: config.logging.maxTotalBytes,
      });
      const dataDirMode = (await stat(dataDir)).mode & 0o777;
      if ((dataDirMode & 0o077) !== 0) {
        logger.warn(
          `the data directory ${dataDir} is readable by other users (mode ${dataDirMode.toString(8)}) and holds refresh tokens: chmod 700 ${dataDir}`,
        );
      }
      const gateway = await startGateway({ config, logger, overrides });
      if (gateway.warning !== undefined) printLine(gateway.warning);
      const local = gateway.listening.startsWith(gateway.url) ? '' : `local URL: ${gateway.url}; `;
      printLine(`agw is serving on ${gateway.listening} (${local}data: ${dataDir}; console: ${gateway.url}/)`);
      const signal = await stopSignal();
      logger.info(`received ${signal}, stopping`);
      await gateway.close();
      logger.close();
    });
}
