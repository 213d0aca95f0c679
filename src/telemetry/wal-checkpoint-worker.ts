/**
 * The body of the WAL checkpointer's worker thread (wal-checkpointer.ts): its own connection to the database file
 * copies the write-ahead log into the database every `intervalMs` (PASSIVE: it never waits for, nor blocks, the
 * writer on the main thread) and says how many frames it copied. A checkpoint writes and syncs the database file,
 * tens of milliseconds on a busy disk: here it holds this thread, not the gateway's event loop.
 */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

interface Settings {
  path: string;
  intervalMs: number;
  busyTimeoutMs: number;
}

const settings = workerData as Settings;
const database = new DatabaseSync(settings.path, { timeout: settings.busyTimeoutMs });
const checkpoint = database.prepare('PRAGMA wal_checkpoint(PASSIVE)');

const run = (): void => {
  try {
    const result = checkpoint.get() as { busy: number; log: number; checkpointed: number } | undefined;
    parentPort?.postMessage({ type: 'checkpointed', frames: Number(result?.checkpointed ?? 0) });
  } catch (error) {
    parentPort?.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  }
};

const timer = setInterval(run, settings.intervalMs);
parentPort?.on('message', (message: unknown) => {
  if (message === 'now') run();
  if (message !== 'stop') return;
  clearInterval(timer);
  // The last connection to close checkpoints what is left, on this thread.
  database.close();
  parentPort?.close();
});
parentPort?.postMessage({ type: 'ready' });
