import fs from 'node:fs';
import path from 'node:path';

/**
 * agw's own log files in the data dir's `logs/`: `agw.log.<YYYY-MM-DD>` (UTC date), and `agw.log.<date>.<n>` when
 * one day's file outgrows half the size budget. Retention only ever deletes names matching this pattern, so the
 * reference system's `app.log.*` and anything else a user keeps there are left alone.
 */
export const logFilePattern = /^agw\.log\.(\d{4}-\d{2}-\d{2})(?:\.(\d{1,6}))?$/;

const dayMs = 86_400_000;

export interface LogFileName {
  name: string;
  /** UTC day the file was started, `YYYY-MM-DD`. */
  date: string;
  /** 0 for the first file of a day, then 1, 2… */
  part: number;
}

/** Parses one of agw's log file names; undefined for any other file. */
export function parseLogFileName(name: string): LogFileName | undefined {
  const match = logFilePattern.exec(name);
  if (!match) return undefined;
  const date = match[1]!;
  if (Number.isNaN(Date.parse(`${date}T00:00:00Z`))) return undefined;
  return { name, date, part: match[2] === undefined ? 0 : Number(match[2]) };
}

/** The name of a day's log file. */
export function logFileName(date: string, part = 0): string {
  return part === 0 ? `agw.log.${date}` : `agw.log.${date}.${part}`;
}

/** The UTC date (`YYYY-MM-DD`) of a time in ms. */
export function utcDate(timeMs: number): string {
  return new Date(timeMs).toISOString().slice(0, 10);
}

function compareLogFiles(left: LogFileName, right: LogFileName): number {
  if (left.date !== right.date) return left.date < right.date ? -1 : 1;
  return left.part - right.part;
}

export interface RetentionRules {
  /** A file is deleted once its whole day ended more than this many days ago. */
  retentionDays: number;
  /** When agw's files together exceed this, the oldest are deleted until they fit in half of it. */
  maxTotalBytes: number;
}

export interface RetentionResult {
  deleted: string[];
  keptBytes: number;
}

/**
 * Deletes agw's log files that are too old or that push the total over the budget (oldest first, down to half
 * the budget, like the reference). `keep` (the file being written) is never deleted. Errors on single files are
 * ignored: a file another process removed first is already gone.
 */
export function applyRetention(
  directory: string,
  rules: RetentionRules,
  nowMs: number,
  keep?: string,
): RetentionResult {
  let names: string[];
  try {
    names = fs.readdirSync(directory);
  } catch {
    return { deleted: [], keptBytes: 0 };
  }
  const files: (LogFileName & { bytes: number })[] = [];
  for (const name of names) {
    const parsed = parseLogFileName(name);
    if (!parsed) continue;
    try {
      const stats = fs.statSync(path.join(directory, name));
      if (stats.isFile()) files.push({ ...parsed, bytes: stats.size });
    } catch {
      // removed meanwhile
    }
  }
  files.sort(compareLogFiles);
  const deleted: string[] = [];
  const remove = (name: string): boolean => {
    try {
      fs.unlinkSync(path.join(directory, name));
      deleted.push(name);
      return true;
    } catch {
      return false;
    }
  };
  const oldestEndAllowed = nowMs - rules.retentionDays * dayMs;
  const kept: typeof files = [];
  for (const file of files) {
    const dayEnd = Date.parse(`${file.date}T00:00:00Z`) + dayMs;
    if (file.name !== keep && dayEnd <= oldestEndAllowed && remove(file.name)) continue;
    kept.push(file);
  }
  let total = kept.reduce((sum, file) => sum + file.bytes, 0);
  if (total > rules.maxTotalBytes) {
    const target = Math.floor(rules.maxTotalBytes / 2);
    for (const file of [...kept]) {
      if (total <= target) break;
      if (file.name === keep) continue;
      if (remove(file.name)) {
        total -= file.bytes;
        kept.splice(kept.indexOf(file), 1);
      }
    }
  }
  return { deleted, keptBytes: total };
}

export interface DailyFileOptions extends RetentionRules {
  directory: string;
  now: () => number;
  /** Called when a file operation fails; logging must never throw into the caller. */
  onError?: (error: unknown) => void;
}

export interface DailyFileDestination {
  /** Appends one already-formatted line; switches file first when the UTC date changed. */
  write(line: string): boolean;
  /** The file currently written. */
  readonly currentPath: string;
  /** Runs retention now (it also runs at open and at each switch of file). */
  cleanup(): RetentionResult;
  close(): void;
}

/**
 * A pino destination writing to `agw.log.<UTC date>` and switching file when the date changes. Writes are
 * synchronous appends (like pino's default file destination), so a crash loses no line already logged.
 */
/** Owner-only permissions for the log directory and its files. */
const privateDirectoryMode = 0o700;
const privateFileMode = 0o600;

export function openDailyFile(options: DailyFileOptions): DailyFileDestination {
  const { directory, now } = options;
  const onError = options.onError ?? (() => undefined);
  // Log lines name accounts (emails) and requests: readable by the owner only, also when the directory or a
  // file already existed with wider permissions (an older agw, the reference app, a umask of 022).
  fs.mkdirSync(directory, { recursive: true, mode: privateDirectoryMode });
  try {
    fs.chmodSync(directory, privateDirectoryMode);
  } catch (error) {
    onError(error);
  }
  let descriptor: number | undefined;
  let currentDate = '';
  let currentPart = 0;
  let currentBytes = 0;
  let totalBytes = 0;
  let currentPath = '';
  let closed = false;

  const cleanup = (): RetentionResult => {
    const result = applyRetention(directory, options, now(), logFileName(currentDate, currentPart));
    totalBytes = result.keptBytes;
    return result;
  };

  const closeFile = (): void => {
    if (descriptor === undefined) return;
    try {
      fs.closeSync(descriptor);
    } catch (error) {
      onError(error);
    }
    descriptor = undefined;
  };

  const openFile = (date: string, part: number): void => {
    closeFile();
    currentDate = date;
    currentPart = part;
    currentPath = path.join(directory, logFileName(date, part));
    try {
      descriptor = fs.openSync(currentPath, 'a', privateFileMode);
      fs.fchmodSync(descriptor, privateFileMode);
      currentBytes = fs.fstatSync(descriptor).size;
    } catch (error) {
      onError(error);
      currentBytes = 0;
    }
    cleanup();
  };

  const highestPart = (date: string): number => {
    let part = 0;
    try {
      for (const name of fs.readdirSync(directory)) {
        const parsed = parseLogFileName(name);
        if (parsed?.date === date && parsed.part > part) part = parsed.part;
      }
    } catch (error) {
      onError(error);
    }
    return part;
  };

  const today = utcDate(now());
  openFile(today, highestPart(today));

  return {
    write(line) {
      if (closed) return false;
      const date = utcDate(now());
      if (date !== currentDate) openFile(date, 0);
      else if (totalBytes > options.maxTotalBytes && currentBytes > options.maxTotalBytes / 2) {
        // One day alone outgrew the budget: start a new part so the full one becomes deletable.
        openFile(date, currentPart + 1);
      } else if (totalBytes > options.maxTotalBytes) cleanup();
      if (descriptor === undefined) return false;
      try {
        const bytes = fs.writeSync(descriptor, line);
        currentBytes += bytes;
        totalBytes += bytes;
        return true;
      } catch (error) {
        onError(error);
        return false;
      }
    },
    get currentPath() {
      return currentPath;
    },
    cleanup,
    close() {
      if (closed) return;
      closed = true;
      closeFile();
    },
  };
}
