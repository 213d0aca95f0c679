/**
 * Moves SQLite's WAL checkpoints off the event loop. By default the connection that commits past 1,000 WAL pages
 * runs the checkpoint itself, synchronously: copying the log into the database and syncing it took 20–50 ms on the
 * benchmark machine, a stall of the gateway's event loop (and of every request in flight) every few thousand
 * logged requests. The request log turns that off on its own connection (`wal_autocheckpoint = 0`) and a worker
 * thread with a second connection checkpoints instead. If the worker cannot run, the automatic checkpoint comes back.
 */
import { extname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from './log-port.ts';

export interface WalCheckpointer {
  /** Checkpoints the worker finished. */
  readonly checkpoints: number;
  /** Asks for a checkpoint now (tests); resolves when the next one finished. */
  checkpointNow(): Promise<void>;
  /** Stops the worker; it closes its connection (the last one closes with a final checkpoint on its thread). */
  stop(): void;
}

/** SQLite's default: checkpoint when the WAL holds this many pages. */
const sqliteDefaultAutoCheckpointPages = 1000;

/** The worker's file next to this one: `.ts` in a checkout, `.js` in the built package. */
const workerFile = new URL(`./wal-checkpoint-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

export function startWalCheckpointer(options: {
  database: DatabaseSync;
  path: string;
  intervalMs: number;
  busyTimeoutMs: number;
  logger: Logger;
}): WalCheckpointer {
  const { database, logger } = options;
  database.exec('PRAGMA wal_autocheckpoint = 0');
  let checkpoints = 0;
  let stopped = false;
  const waiting: Array<() => void> = [];
  const fallBack = (reason: string): void => {
    if (stopped) return;
    stopped = true;
    try {
      database.exec(`PRAGMA wal_autocheckpoint = ${sqliteDefaultAutoCheckpointPages}`);
    } catch {
      // The connection is closed already.
    }
    logger.warn({ reason }, 'the background WAL checkpointer stopped; SQLite checkpoints on the event loop again');
    for (const resolve of waiting.splice(0)) resolve();
  };
  const worker = new Worker(workerFile, {
    workerData: { path: options.path, intervalMs: options.intervalMs, busyTimeoutMs: options.busyTimeoutMs },
  });
  worker.on('message', (message: { type: string; message?: string }) => {
    if (message.type === 'checkpointed') {
      checkpoints += 1;
      for (const resolve of waiting.splice(0)) resolve();
    }
    if (message.type === 'failed') logger.warn({ reason: message.message }, 'a background WAL checkpoint failed');
  });
  worker.on('error', (error) => fallBack(error.message));
  worker.on('exit', (code) => {
    if (!stopped) fallBack(`the worker exited (${code})`);
  });
  // After the listeners (adding a 'message' listener refs the worker again): it never keeps the process alive.
  worker.unref();
  return {
    get checkpoints() {
      return checkpoints;
    },
    checkpointNow() {
      if (stopped) return Promise.resolve();
      return new Promise<void>((resolve) => {
        waiting.push(resolve);
        worker.postMessage('now');
      });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      worker.postMessage('stop');
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}
