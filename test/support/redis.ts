/**
 * A real `redis-server` for the shared-state tests: started on a free loopback port with its own temporary
 * directory (append-only file, fsync on every write, so a restart keeps everything), stopped after the test.
 *
 * Outside CI a machine without redis-server skips these tests with a message saying how to get it; in CI
 * (`CI=true`) a missing or broken redis-server fails them, so the suite can never pass without running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';
import { tempDir } from './temp-dir.ts';

export interface RedisServer {
  /** e.g. `redis://127.0.0.1:40123` */
  readonly url: string;
  readonly port: number;
  readonly directory: string;
  /** Ends the server (SIGTERM, or SIGKILL with `hard`) and keeps its directory, so `start()` brings the data back. */
  stop(options?: { hard?: boolean }): Promise<void>;
  /** Starts it again on the same port with the same directory. */
  start(): Promise<void>;
  /** Stops it for good and removes its directory. */
  close(): Promise<void>;
}

/** Where redis-server is: Debian's path first, then PATH. */
export function findRedisServer(): string | undefined {
  const candidates = [
    '/usr/bin/redis-server',
    ...(process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, 'redis-server')),
  ];
  return candidates.find((candidate) => candidate !== '/redis-server' && existsSync(candidate));
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/** Resolves once the server prints that it accepts connections; rejects when it exits first or after 15 s. */
function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not get ready: ${output}`)), 15_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}) before it was ready: ${output.slice(-2_000)}`));
    });
  });
}

/** Starts a redis-server; throws when none can be started. */
export async function startRedis(): Promise<RedisServer> {
  const binary = findRedisServer();
  if (binary === undefined) throw new Error('redis-server is not installed (Debian: apt-get install redis-server)');
  const directory = await tempDir('agw-redis-');
  let port = 0;
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const started = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        directory,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--daemonize',
        'no',
        '--loglevel',
        'notice',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    started.stderr?.resume();
    child = started;
    await ready(started);
  };
  // A port found free can be taken before redis binds it: try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    port = await freePort();
    try {
      await launch();
      lastError = undefined;
      break;
    } catch (error) {
      lastError = error;
      if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
    }
  }
  if (lastError !== undefined) {
    await rm(directory, { recursive: true, force: true });
    throw lastError;
  }
  const stop = async (options: { hard?: boolean } = {}): Promise<void> => {
    const running = child;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    running.kill(options.hard === true ? 'SIGKILL' : 'SIGTERM');
    await once(running, 'exit');
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    directory,
    stop,
    start: launch,
    async close() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * A redis-server for test `t`, closed when the test ends; undefined (and `t` skipped, with the reason) when none
 * can be started on a developer's machine. In CI the failure to start is the test's failure.
 */
export async function redisForTest(t: TestContext): Promise<RedisServer | undefined> {
  try {
    const server = await startRedis();
    t.after(() => server.close());
    return server;
  } catch (error) {
    if (process.env['CI'] === 'true') throw error;
    t.skip(`no redis-server could be started (${(error as Error).message}); install redis-server to run this test`);
    return undefined;
  }
}
