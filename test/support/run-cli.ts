/**
 * `agw` as a user runs it: a separate Node process on bin/agw.js. Asynchronous on purpose — tests often run the
 * fake Google in their own process, and a synchronous child would block it (and deadlock).
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The published entry (checks the Node version, then runs src/cli/main.ts). */
export const agwEntry = fileURLToPath(new URL('../../bin/agw.js', import.meta.url));

export interface CliResult {
  /** The exit code (0 on success). */
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Added to this process's environment (e.g. fakeEnvironment(fake), AGW_DATA_DIR). */
  env?: Record<string, string>;
  /** Written to the command's standard input, which is then closed. */
  input?: string;
  /** Reject (with the command's stderr) unless it exits 0. */
  mustSucceed?: boolean;
}

/** Runs `agw <args>` to completion; resolves with its exit code and output (whatever the code, unless `mustSucceed`). */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const result = await run(args, options);
  if (options.mustSucceed === true && result.code !== 0) {
    throw new Error(`agw ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  }
  return result;
}

function run(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [agwEntry, ...args],
      { env: { ...process.env, ...options.env }, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  /** Everything printed so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves with the exit code when the process ends. */
  exit: Promise<number | null>;
  /** Stops it (SIGTERM, as Ctrl-C would) unless it already ended, and waits for the end. */
  stop(): Promise<void>;
}

/** Starts a long-running `agw <args>` (serve, demo, login) with its output collected; stdin stays open. */
export function startCli(args: readonly string[], options: Pick<CliOptions, 'env'> = {}): RunningCli {
  const child = spawn(process.execPath, [agwEntry, ...args], { env: { ...process.env, ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => ({ stdout, stderr }),
    exit,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exit;
    },
  };
}
