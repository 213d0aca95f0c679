/**
 * Notices changes to data-directory files made by any process (the CLI while the server runs, another tool).
 *
 * fs.watch gives fast notice but can miss events (renames over a file, network filesystems, a directory created
 * after the watch started), so a cheap periodic stat of the watched files backs it up. The first change after a
 * quiet spell is announced `settleMs` later (long enough to take in the few renames of one store write: the
 * account file and the index), so a single CLI write reaches the pool in tens of milliseconds; after that,
 * changes are collected and announced at most once per debounce window, and the window is not extended by
 * further events, so a write storm still produces announcements at a steady pace.
 */
import { type FSWatcher, watch as watchFileSystem } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../telemetry/log-port.ts';
import { lockName, tempFilePattern } from './atomic-file.ts';

/** Maps a path relative to the data dir (`/`-separated) to a change key, `'all'`, or undefined to ignore it. */
export type ChangeClassifier = (relativePath: string) => string | 'all' | undefined;

export interface WatchDataDirectoryOptions {
  dataDir: string;
  /** Subdirectories (relative) to watch besides the data dir itself. */
  subdirectories: readonly string[];
  classify: ChangeClassifier;
  listener: (changed: string[] | 'all') => void;
  /** Milliseconds: the least time between two announcements (a write storm is batched into one per window). */
  debounceMs: number;
  /** Milliseconds from the first change after a quiet spell to its announcement; default 20. */
  settleMs?: number;
  /** Period of the stat fallback. */
  pollMs?: number;
  logger: Logger;
}

type Snapshot = Map<string, string>;

/** Stats a sweep has in flight at once (libuv's thread pool has four threads by default). */
const statsAtOnce = 8;

/** Starts watching; returns the function that stops it. */
export function watchDataDirectory(options: WatchDataDirectoryOptions): () => void {
  const { dataDir, classify, listener, logger } = options;
  const pollMs = options.pollMs ?? 500;
  const directories = ['', ...options.subdirectories];
  const watchers = new Map<string, FSWatcher>();
  let pending: Set<string> | 'all' = new Set();
  let flushTimer: NodeJS.Timeout | undefined;
  const settleMs = Math.min(options.settleMs ?? 20, options.debounceMs);
  let lastFlushAt = Number.NEGATIVE_INFINITY;
  let baseline: Snapshot | undefined;
  let polling = false;
  let stopped = false;

  const note = (key: string | 'all'): void => {
    if (pending === 'all') return;
    if (key === 'all') pending = 'all';
    else pending.add(key);
  };

  const isIgnored = (name: string): boolean =>
    name === lockName || name.startsWith(`${lockName}`) || tempFilePattern.test(name) || name.includes('.corrupt-');

  const scheduleFlush = (): void => {
    if (stopped || flushTimer !== undefined) return;
    const sinceLast = performance.now() - lastFlushAt;
    const delay = Math.max(settleMs, options.debounceMs - sinceLast);
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      void flush();
    }, delay);
    flushTimer.unref();
  };

  async function takeSnapshot(): Promise<Snapshot> {
    const snapshot: Snapshot = new Map();
    for (const directory of directories) {
      let names: string[];
      try {
        names = await readdir(join(dataDir, directory));
      } catch {
        continue;
      }
      const watched = names
        .filter((name) => !isIgnored(name))
        .map((name) => (directory === '' ? name : `${directory}/${name}`))
        .filter((relative) => classify(relative) !== undefined);
      // A few stats at a time: each one finished alone wakes the event loop, and an idle gateway sweeps twice a
      // second; a bounded batch keeps a pool of thousands of files from filling libuv's thread pool.
      for (let start = 0; start < watched.length; start += statsAtOnce) {
        const batch = watched.slice(start, start + statsAtOnce);
        const infos = await Promise.all(
          // Removed between readdir and stat: absent from this snapshot, which is what a diff needs.
          batch.map((relative) => stat(join(dataDir, relative)).catch(() => undefined)),
        );
        for (const [index, info] of infos.entries()) {
          if (info !== undefined) snapshot.set(batch[index]!, `${info.ino}:${info.size}:${info.mtimeMs}`);
        }
      }
    }
    return snapshot;
  }

  function diff(before: Snapshot, after: Snapshot): void {
    for (const [path, signature] of after) {
      if (before.get(path) !== signature) noteKey(path);
    }
    for (const path of before.keys()) if (!after.has(path)) noteKey(path);
  }

  function noteKey(relativePath: string): void {
    const key = classify(relativePath);
    if (key !== undefined) note(key);
  }

  async function poll(): Promise<void> {
    if (polling || stopped) return;
    polling = true;
    try {
      attachWatchers();
      const snapshot = await takeSnapshot();
      if (baseline !== undefined) diff(baseline, snapshot);
      baseline = snapshot;
      if (pending === 'all' || pending.size > 0) scheduleFlush();
    } finally {
      polling = false;
    }
  }

  async function flush(): Promise<void> {
    if (stopped) return;
    lastFlushAt = performance.now();
    // Fold in what the stat fallback would see, so the next poll does not announce the same change again.
    const snapshot = await takeSnapshot();
    if (baseline !== undefined) diff(baseline, snapshot);
    baseline = snapshot;
    const changed = pending;
    pending = new Set();
    if (stopped || (changed !== 'all' && changed.size === 0)) return;
    try {
      listener(changed === 'all' ? 'all' : [...changed].sort());
    } catch (error) {
      logger.error({ error: String(error) }, 'A data-directory change listener failed');
    }
  }

  function attachWatchers(): void {
    for (const directory of directories) {
      if (watchers.has(directory)) continue;
      try {
        const watcher = watchFileSystem(join(dataDir, directory), { persistent: false }, (_event, fileName) => {
          if (fileName === null) {
            // The platform did not say which file: let the next snapshot diff find out.
            scheduleFlush();
            return;
          }
          const name = fileName.toString();
          if (isIgnored(name)) return;
          const key = classify(directory === '' ? name : `${directory}/${name}`);
          if (key === undefined) return;
          note(key);
          scheduleFlush();
        });
        watcher.on('error', () => {
          watcher.close();
          if (watchers.get(directory) === watcher) watchers.delete(directory);
        });
        watchers.set(directory, watcher);
      } catch {
        // The directory does not exist yet; the next poll tries again.
      }
    }
  }

  attachWatchers();
  void poll();
  // The stat sweep is only the fallback for changes fs.watch misses; with thousands of account files it is spread
  // out (about 0.5 ms per file between sweeps) so a large pool does not spend its time in stat().
  let pollTimer: NodeJS.Timeout | undefined;
  const schedulePoll = (): void => {
    if (stopped) return;
    const delay = Math.max(pollMs, Math.ceil((baseline?.size ?? 0) / 2));
    pollTimer = setTimeout(() => {
      void poll().finally(schedulePoll);
    }, delay);
    pollTimer.unref();
  };
  schedulePoll();

  return () => {
    stopped = true;
    if (pollTimer) clearTimeout(pollTimer);
    if (flushTimer !== undefined) clearTimeout(flushTimer);
    for (const watcher of watchers.values()) watcher.close();
    watchers.clear();
  };
}
