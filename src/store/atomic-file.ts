/**
 * Durable file primitives shared by every writer of the data directory.
 *
 * Writes go to a uniquely named temp file, are fsynced, then renamed over the target, so a reader (or a process
 * killed mid-write) only ever sees the old or the new content. Read-modify-write sequences hold one
 * cross-process lock per data directory (proper-lockfile: an mkdir lock with stale takeover), so the CLI and a
 * running server never lose each other's updates.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
import { GatewayError } from '../errors/catalogue.ts';

/** Account files and config hold secrets: owner-only. */
export const secretFileMode = 0o600;
export const privateDirectoryMode = 0o700;

export async function ensurePrivateDirectory(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: privateDirectoryMode });
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, { mode: secretFileMode, fsync: true });
}

/** Reads a file, or returns undefined when it does not exist. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

const lockOptions = {
  // A holder refreshes the lock's mtime every `update` ms; a lock older than `stale` ms belongs to a dead
  // process (kill -9) and is taken over.
  stale: 5_000,
  update: 1_000,
  realpath: false,
  retries: { retries: 200, factor: 1.2, minTimeout: 5, maxTimeout: 100, randomize: true },
} as const;

/**
 * Runs `work` while holding the data directory's cross-process lock. Calls within one process are also
 * serialised through a promise chain, because proper-lockfile refuses a second lock from the same process.
 */
export async function withDataDirLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  const previous = inProcessQueues.get(dataDir) ?? Promise.resolve();
  let release!: () => void;
  const current = new Promise<void>((resolve) => {
    release = resolve;
  });
  const queued = previous.then(() => current);
  inProcessQueues.set(dataDir, queued);
  await previous;
  try {
    await ensurePrivateDirectory(dataDir);
    let unlock: () => Promise<void>;
    try {
      unlock = await lockfile.lock(dataDir, { ...lockOptions, lockfilePath: join(dataDir, '.agw.lock') });
    } catch (error) {
      throw new GatewayError('AGW_STORE_LOCKED', `could not lock the data directory ${dataDir}: ${String(error)}`, {
        cause: error,
      });
    }
    try {
      return await work();
    } finally {
      await unlock().catch(() => undefined);
    }
  } finally {
    release();
    if (inProcessQueues.get(dataDir) === queued) inProcessQueues.delete(dataDir);
  }
}

const inProcessQueues = new Map<string, Promise<void>>();
