/**
 * A long-lived CLI process for tests that run many `agw` commands against one data directory: the commands run
 * in another process, as a user's would, but Node starts only once (test/support/cli-worker.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const workerScript = fileURLToPath(new URL('./cli-worker.ts', import.meta.url));

export interface CliProcess {
  /** Runs `agw <argv>` in the other process; resolves with the exit code once the command finished. */
  run(...argv: string[]): Promise<number>;
  close(): Promise<void>;
}

/** The next IPC message; rejects when the worker exits first (a crash must fail the test, not hang it). */
function nextMessage(child: ChildProcess): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null): void => {
      child.off('message', onMessage);
      reject(new Error(`the CLI worker exited (code ${code})`));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
  });
}

export async function startCliProcess(environment: Record<string, string>): Promise<CliProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--no-warnings', workerScript], {
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = (await nextMessage(child)) as { ready?: boolean };
  if (ready.ready !== true) throw new Error('the CLI worker did not start');
  let queue: Promise<unknown> = Promise.resolve();
  return {
    run(...argv) {
      const result = queue.then(async () => {
        child.send({ argv });
        return ((await nextMessage(child)) as { code: number }).code;
      });
      queue = result.catch(() => undefined);
      return result;
    },
    async close() {
      if (child.exitCode !== null) return;
      child.kill();
      await once(child, 'exit');
    },
  };
}
