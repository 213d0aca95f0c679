/**
 * Durable file primitives shared by every writer of the data directory.
 *
 * Writes go to a uniquely named temp file beside the target (`<target>.tmp.<uuid>`, the reference system's own
 * pattern, never ending in `.json` so no reader mistakes it for an account), are fsynced, renamed over the
 * target, and the directory entry is fsynced too. A reader, or a process killed mid-write, therefore only ever
 * sees the old or the new content. Read-modify-write sequences hold one cross-process lock per data directory
 * (proper-lockfile: an mkdir lock with stale takeover), so the CLI and a running server never lose each other's
 * updates.
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import lockfile from 'proper-lockfile';
import { GatewayError } from '../errors/catalogue.ts';

/** Account files and config hold secrets: owner-only. */
export const secretFileMode = 0o600;
export const privateDirectoryMode = 0o700;

/** Name of the cross-process lock (a directory, created by proper-lockfile) inside the data directory. */
export const lockName = '.agw.lock';

/** Matches the temp files of an atomic write, ours and the reference system's alike. */
export const tempFilePattern = /\.tmp\.[0-9a-f-]{36}$/i;

/**
 * Creates the directory (and parents) owner-only. Directories this call creates are chmod-ed to 0700 explicitly,
 * because `mkdir`'s mode is filtered through the umask on some platforms; existing directories are left alone so a
 * directory shared with other tools keeps the permissions its owner chose.
 */
export async function ensurePrivateDirectory(path: string): Promise<void> {
  const firstCreated = await mkdir(path, { recursive: true, mode: privateDirectoryMode });
  if (firstCreated === undefined) return;
  // Every directory from the first created one down to `path` is new.
  let current = resolve(path);
  const stop = resolve(firstCreated);
  for (let depth = 0; depth < 64; depth += 1) {
    await chmod(current, privateDirectoryMode);
    if (current === stop) break;
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
}

/** Writes `value` as pretty JSON (2 spaces, trailing newline) atomically, mode 0600. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeTextAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes text or bytes atomically: temp file (0600) + fsync + rename + directory fsync. */
export async function writeTextAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const temp = join(dirname(path), `${basename(path)}.tmp.${randomUUID()}`);
  try {
    const handle = await open(temp, 'wx', secretFileMode);
    try {
      await handle.writeFile(content);
      // The mode passed to open() is masked by the umask; a secret file must be 0600 whatever the umask.
      await handle.chmod(secretFileMode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** Makes a rename durable: without it a power loss can bring back the old directory entry. */
async function syncDirectory(path: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch {
    // Some platforms and filesystems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Reads a file as UTF-8 text, or returns undefined when it does not exist. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  const bytes = await readBytesIfExists(path);
  return bytes === undefined ? undefined : bytes.toString('utf8');
}

/** Reads a file's raw bytes, or returns undefined when it does not exist. */
export async function readBytesIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
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
  retries: { retries: 300, factor: 1.2, minTimeout: 5, maxTimeout: 100, randomize: true },
} as const;

/**
 * Runs `work` while holding the data directory's cross-process lock. Calls within one process are also
 * serialised through a promise chain, because proper-lockfile refuses a second lock from the same process.
 * `work` must not call withDataDirLock for the same directory again (it would wait for itself).
 */
export async function withDataDirLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  const key = resolve(dataDir);
  const previous = inProcessQueues.get(key) ?? Promise.resolve();
  let release!: () => void;
  const current = new Promise<void>((resolvePromise) => {
    release = resolvePromise;
  });
  const queued = previous.then(() => current);
  inProcessQueues.set(key, queued);
  await previous;
  try {
    await ensurePrivateDirectory(key);
    let unlock: () => Promise<void>;
    try {
      unlock = await lockfile.lock(key, {
        ...lockOptions,
        lockfilePath: join(key, lockName),
        // The default throws from a timer and kills the process. A compromised lock (the event loop stalled past
        // `stale`) only weakens mutual exclusion for this one operation; every write is still atomic.
        onCompromised: () => undefined,
      });
    } catch (error) {
      throw new GatewayError('AGW_STORE_LOCKED', `could not lock the data directory ${key}: ${String(error)}`, {
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
    if (inProcessQueues.get(key) === queued) inProcessQueues.delete(key);
  }
}

const inProcessQueues = new Map<string, Promise<void>>();
