/**
 * Child processes for benchmarks: the fake Google and `agw serve` each in their own process (so neither's work
 * is counted against the other's, nor against the load generator's), with a data directory enrolled the way a
 * user enrols it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

export interface FakeInfo {
  base: string;
  tokenUrl: string;
  authUrl: string;
  userinfoUrl: string;
  v1internal: string;
  client: { clientId: string; clientSecret: string };
  accounts: Array<{ email: string; refreshToken: string }>;
}

/** Starts `node …args` and resolves with the first stdout line matching `ready`. */
export async function startChild(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (ready.test(line)) return { child, line };
  }
  throw new Error(`${args.join(' ')} exited before it was ready`);
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

export async function readRssMegabytes(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kilobytes = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return Number((kilobytes / 1024).toFixed(1));
}

async function enrolledDataDir(fake: FakeInfo, env: Record<string, string>): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'agw-bench-'));
  for (const account of fake.accounts) {
    const added = spawn(
      process.execPath,
      ['bin/agw.js', '--data-dir', dataDir, 'accounts', 'add', '--refresh-token', account.refreshToken],
      { cwd: root, env: { ...process.env, ...env }, stdio: 'ignore' },
    );
    await once(added, 'exit');
  }
  return dataDir;
}

export interface BenchProcesses {
  fake: FakeInfo;
  /** The environment pointing agw at the fake (API key `sk-bench`). */
  env: Record<string, string>;
  dataDir: string;
  fakeChild: ChildProcess;
  gatewayChild: ChildProcess;
  gatewayUrl: string;
}

/** The fake (4 accounts, optional latency) and a gateway in front of it, each in its own process. */
export async function startFakeAndGateway(options: { latencyMs?: number } = {}): Promise<BenchProcesses> {
  const latency = options.latencyMs ?? 0;
  const fakeStart = await startChild(
    [
      'src/fake-google/main.ts',
      '--port',
      '0',
      '--accounts',
      '4',
      ...(latency > 0 ? ['--latency', String(latency)] : []),
    ],
    {},
    /^\{/,
  );
  const fake = JSON.parse(fakeStart.line) as FakeInfo;
  const env = {
    AGW_UPSTREAM_ENDPOINTS: fake.v1internal,
    AGW_OAUTH_TOKEN_URL: fake.tokenUrl,
    AGW_OAUTH_AUTH_URL: fake.authUrl,
    AGW_USERINFO_URL: fake.userinfoUrl,
    AGW_OAUTH_CLIENT_ID: fake.client.clientId,
    AGW_OAUTH_CLIENT_SECRET: fake.client.clientSecret,
    AGW_API_KEY: 'sk-bench',
    AGW_LOG_LEVEL: 'warn',
  };
  const dataDir = await enrolledDataDir(fake, env);
  const gatewayStart = await startChild(
    ['bin/agw.js', '--data-dir', dataDir, 'serve', '--port', '0'],
    env,
    /agw is serving on/,
  );
  const gatewayUrl = /(http:\/\/[\d.]+:\d+)/.exec(gatewayStart.line)?.[1] ?? '';
  return { fake, env, dataDir, fakeChild: fakeStart.child, gatewayChild: gatewayStart.child, gatewayUrl };
}
