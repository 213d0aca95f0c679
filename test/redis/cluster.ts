/**
 * Three real `agw serve` processes on one redis-server and one fake Google (in this process, so its recorder and
 * control are at hand): what a team running several gateways behind a load balancer has. Each gateway has its own
 * data directory (request log, token journal), all share the pool through Redis.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import type { TestContext } from 'node:test';
import { updateSettings } from '../../src/config/edit.ts';
import { configFromObject } from '../../src/config/load.ts';
import { createFakeGoogle, type FakeGoogle } from '../../src/fake-google/index.ts';
import { createGoogleClients } from '../../src/google/clients.ts';
import { enrollAccount } from '../../src/google/enroll-account.ts';
import type { Account } from '../../src/store/account-schema.ts';
import { type OpenedStore, openConfiguredStore } from '../../src/store/open-store.ts';
import { fakeEnvironment } from '../support/fake-environment.ts';
import { type RedisServer, redisForTest } from '../support/redis.ts';
import { agwEntry } from '../support/run-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

export const apiKey = 'sk-cluster-test';

export interface GatewayProcess {
  readonly name: string;
  readonly url: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Everything the gateway printed (JSON log lines). */
  output(): string;
  /** SIGKILL, no clean-up: what a crash or an OOM kill does. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface Cluster {
  readonly fake: FakeGoogle;
  readonly redis: RedisServer;
  /** The environment every gateway and CLI run gets (fake Google, API key, AGW_REDIS_URL). */
  readonly env: Record<string, string>;
  readonly gateways: GatewayProcess[];
  /** A store on the same Redis, for the test's own reads and writes. */
  readonly shared: OpenedStore;
  /** Enrols an account on the fake and in Redis, as `agw accounts add` does. */
  addAccount(email: string, refreshToken: string): Promise<Account>;
  /** Starts the gateways (after the accounts are in place). */
  start(count?: number): Promise<GatewayProcess[]>;
}

export interface ClusterOptions {
  /** gui_config.json settings of every gateway (dotted keys). */
  settings?: Record<string, unknown>;
}

/** Starts Redis and the fake; undefined (the test skipped) when no redis-server can be started outside CI. */
export async function startCluster(t: TestContext, options: ClusterOptions = {}): Promise<Cluster | undefined> {
  const redis = await redisForTest(t);
  if (redis === undefined) return undefined;
  const fake = await createFakeGoogle({ port: 0 });
  t.after(() => fake.close());
  const env: Record<string, string> = {
    ...fakeEnvironment(fake),
    AGW_API_KEY: apiKey,
    AGW_REDIS_URL: redis.url,
    AGW_LOG_LEVEL: 'info',
    AGW_LOG_FORMAT: 'json',
  };
  const scratch = await tempDir('agw-cluster-');
  t.after(() => rm(scratch, { recursive: true, force: true }));
  const shared = openConfiguredStore({ dataDir: scratch, redisUrl: redis.url }, { mode: 'server' });
  t.after(() => shared.close());
  const gateways: GatewayProcess[] = [];
  t.after(async () => {
    for (const gateway of gateways) await gateway.stop();
  });

  const startGatewayProcess = async (name: string): Promise<GatewayProcess> => {
    const dataDir = await tempDir(`agw-${name}-`);
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    await updateSettings(dataDir, {
      'proxy.port': 0,
      'proxy.auth_mode': 'strict',
      'agw.strategy': 'round-robin',
      ...options.settings,
    });
    const child = spawn(process.execPath, [agwEntry, '--data-dir', dataDir, 'serve', '--port', '0'], {
      env: { ...process.env, ...env, AGW_INSTANCE_ID: name },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      output += chunk;
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start: ${output}`)), 60_000);
      child.stdout.on('data', (chunk: string) => {
        output += chunk;
        const match = /agw is serving on (http:\/\/[\d.]+:\d+)/.exec(output);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code}) before serving: ${output}`));
      });
    });
    const ended = (): boolean => child.exitCode !== null || child.signalCode !== null;
    const gateway: GatewayProcess = {
      name,
      url,
      dataDir,
      child,
      output: () => output,
      async kill() {
        if (ended()) return;
        child.kill('SIGKILL');
        await once(child, 'exit');
      },
      async stop() {
        if (ended()) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await once(child, 'exit');
        clearTimeout(timer);
      },
    };
    gateways.push(gateway);
    return gateway;
  };

  return {
    fake,
    redis,
    env,
    gateways,
    shared,
    async addAccount(email, refreshToken) {
      fake.control.addAccount({ email, refreshToken });
      // What `agw accounts add` does (refresh, userinfo, project, upsert), in this process: a CLI process per
      // account would only add start-up time (the seed test runs the real CLI for its re-add).
      const config = configFromObject(scratch, {}, {}, env);
      const google = createGoogleClients(config);
      try {
        return (await enrollAccount(refreshToken, google, shared.store)).account;
      } finally {
        await google.close();
      }
    },
    async start(count = 3) {
      return Promise.all(Array.from({ length: count }, (_, index) => startGatewayProcess(`gw${index + 1}`)));
    },
  };
}

/** One OpenAI chat completion through `gateway`; resolves with the HTTP status and the parsed body. */
export async function chat(gateway: { url: string }, text = 'hello'): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gemini-3-flash', messages: [{ role: 'user', content: text }] }),
  });
  const body = await response.json().catch(() => undefined);
  return { status: response.status, body };
}

/** The gateway's /healthz. */
export async function health(gateway: { url: string }): Promise<Record<string, unknown>> {
  const response = await fetch(`${gateway.url}/healthz`, { headers: { authorization: `Bearer ${apiKey}` } });
  return (await response.json()) as Record<string, unknown>;
}

/** Generate calls the fake received for `email` so far. */
export function generateCalls(fake: FakeGoogle, email: string): number {
  return fake.control.calls({ endpoint: ['generateContent', 'streamGenerateContent'], email }).length;
}

/** Token-endpoint calls the fake received for `email` so far. */
export function refreshCalls(fake: FakeGoogle, email: string): number {
  return fake.control.calls({ endpoint: 'token', email }).length;
}

/** Polls `check` every 20 ms until it returns true, or fails after `timeoutMs` naming `what`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
