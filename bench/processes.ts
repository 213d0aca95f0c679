/**
 * Child processes of the benchmarks (the fake Google, `agw serve`): started from the repository root and awaited
 * until they print their ready line, stopped with SIGTERM; and a bearer for calling the fake directly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { fakeEnvironment } from '../test/support/fake-environment.ts';
import { runCli } from '../test/support/run-cli.ts';
import { tempDir } from '../test/support/temp-dir.ts';

export const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));

/** Runs `node <args>` and resolves with the first stdout line matching `ready`. */
export async function startChild(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, args, {
    cwd: repositoryRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (ready.test(line)) return { child, line };
  }
  throw new Error(`${args.join(' ')} exited before it was ready`);
}

/** What `src/fake-google/main.ts` prints when it is ready: its URLs, OAuth client and seeded accounts. */
export interface FakeGoogleInfo {
  base: string;
  tokenUrl: string;
  authUrl: string;
  userinfoUrl: string;
  v1internal: string;
  control: string;
  client: { clientId: string; clientSecret: string };
  accounts: Array<{ email: string; refreshToken: string }>;
}

/** Starts the standalone fake Google with `arguments_` (e.g. `--accounts 4`) on a free port. */
export async function startFakeGoogle(arguments_: string[]): Promise<{ child: ChildProcess; fake: FakeGoogleInfo }> {
  const started = await startChild(['src/fake-google/main.ts', '--port', '0', ...arguments_], {}, /^\{/);
  return { child: started.child, fake: JSON.parse(started.line) as FakeGoogleInfo };
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/** An access token from the fake's token endpoint, for calling v1internal directly as the gateway would. */
export async function fakeAccessToken(fake: {
  tokenUrl: string;
  client: { clientId: string; clientSecret: string };
  refreshToken: string;
}): Promise<string> {
  const response = await fetch(fake.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: fake.refreshToken,
      client_id: fake.client.clientId,
      client_secret: fake.client.clientSecret,
    }).toString(),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Resident memory of a process in MB: now (`VmRSS`) or its peak (`VmHWM`). */
export async function readRssMegabytes(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kilobytes = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return Number((kilobytes / 1024).toFixed(1));
}

/** CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 1/100 s). */
export async function readCpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A data directory holding the fake's seeded accounts, enrolled the way a user enrols them. */
export async function enrolledDataDir(fake: FakeGoogleInfo, env: Record<string, string>): Promise<string> {
  const dataDir = await tempDir('agw-bench-');
  for (const account of fake.accounts) {
    await runCli(['--data-dir', dataDir, 'accounts', 'add', '--refresh-token', account.refreshToken], {
      env,
      mustSucceed: true,
    });
  }
  return dataDir;
}

export interface BenchProcesses {
  fake: FakeGoogleInfo;
  /** The environment pointing agw at the fake (API key `sk-bench`). */
  env: Record<string, string>;
  dataDir: string;
  fakeChild: ChildProcess;
  gatewayChild: ChildProcess;
  gatewayUrl: string;
}

/**
 * The fake (4 accounts, plus `fakeArguments` such as `--latency 50`) and a gateway in front of it, each in its own
 * process. `gatewayNodeArguments` go to the gateway's Node (e.g. `--cpu-prof` to see where its time goes).
 */
export async function startFakeAndGateway(
  fakeArguments: string[] = [],
  gatewayNodeArguments: string[] = [],
): Promise<BenchProcesses> {
  const { child: fakeChild, fake } = await startFakeGoogle(['--accounts', '4', ...fakeArguments]);
  const env = {
    ...fakeEnvironment({ urls: fake, client: fake.client }),
    AGW_API_KEY: 'sk-bench',
    AGW_LOG_LEVEL: 'warn',
  };
  const dataDir = await enrolledDataDir(fake, env);
  const gatewayStart = await startChild(
    [...gatewayNodeArguments, 'bin/agw.js', '--data-dir', dataDir, 'serve', '--port', '0'],
    env,
    /agw is serving on/,
  );
  const gatewayUrl = /(http:\/\/[\d.]+:\d+)/.exec(gatewayStart.line)?.[1] ?? '';
  return { fake, env, dataDir, fakeChild, gatewayChild: gatewayStart.child, gatewayUrl };
}
