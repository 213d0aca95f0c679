/**
 * The console is always there: `agw serve` from a checkout where `dist/web` was never built (a fresh
 * `npm install`, no `npm start`) builds it once before listening, and says so. Where it cannot be built (an
 * installed package ships the built files; without them and without Vite there is nothing to build with) it says
 * what to do, and `/` answers the same advice.
 *
 * The build runs Vite's own command line in a child process, into a temporary directory renamed into place, so
 * two gateways starting at once never see half a console.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../telemetry/log-port.ts';

const run = promisify(execFile);

export interface ConsoleBuildOptions {
  /** Where the built console is served from (index.html and assets/). */
  directory: string;
  /** The console's Vite config (web/vite.config.ts of a checkout). */
  viteConfig: string;
  /** Vite's command-line entry (node_modules/vite/bin/vite.js), present where dev dependencies are installed. */
  viteEntry: string;
  logger: Logger;
}

export type ConsoleAssets = 'present' | 'built' | 'missing';

/** Makes sure `directory` holds a built console; answers what it found or did. Never throws. */
export async function ensureConsoleBuilt(options: ConsoleBuildOptions): Promise<ConsoleAssets> {
  const { directory, logger } = options;
  if (existsSync(join(directory, 'index.html'))) return 'present';
  const advice = 'run `npm run build:web` in the agw directory (or reinstall the package)';
  if (!existsSync(options.viteConfig) || !existsSync(options.viteEntry)) {
    logger.warn(`The web console is not built (${directory} has no index.html) and cannot be built here: ${advice}`);
    return 'missing';
  }
  logger.info(`The web console is not built yet: building it into ${directory} (once, a few seconds) …`);
  const started = performance.now();
  const staging = `${directory}.building-${process.pid}`;
  try {
    await run(
      process.execPath,
      [
        options.viteEntry,
        'build',
        '--config',
        options.viteConfig,
        '--outDir',
        staging,
        '--emptyOutDir',
        '--logLevel',
        'warn',
      ],
      { cwd: dirname(options.viteConfig), timeout: 120_000 },
    );
    // Another gateway may have finished first: its console is as good as ours.
    if (!existsSync(join(directory, 'index.html'))) {
      await rm(directory, { recursive: true, force: true });
      await rename(staging, directory);
    }
    logger.info(`Built the web console in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return 'built';
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    logger.warn(`Building the web console failed (${reason}); ${advice}`);
    return existsSync(join(directory, 'index.html')) ? 'present' : 'missing';
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
