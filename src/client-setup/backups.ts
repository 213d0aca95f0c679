/**
 * Backups of client settings files: before setup changes a file, its old bytes are copied beside it as
 * `<file>.agw-backup-<UTC time>`; a file setup creates gets an empty `<file>.agw-backup-<UTC time>.absent` marker, so
 * undo knows to remove it. All files one run touches share its time stamp; undo restores the latest stamp and
 * deletes those backups, so a second undo steps back one more run.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const marker = '.agw-backup-';
const absentSuffix = '.absent';

/** `20261204T150012345Z`: sortable as text, unique per millisecond, no characters a file system objects to. */
export function backupStamp(now: Date): string {
  return now.toISOString().replace(/[-:.]/g, '');
}

export function backupPath(file: string, stamp: string, existed: boolean): string {
  return `${file}${marker}${stamp}${existed ? '' : absentSuffix}`;
}

export interface FoundBackup {
  readonly file: string;
  readonly stamp: string;
  readonly path: string;
  /** The file did not exist before that run: undo removes it. */
  readonly absent: boolean;
}

/** Every backup of `file` found beside it, oldest first. */
export async function backupsOf(file: string): Promise<FoundBackup[]> {
  let names: string[];
  try {
    names = await readdir(dirname(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const prefix = `${basename(file)}${marker}`;
  const found: FoundBackup[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const absent = rest.endsWith(absentSuffix);
    const stamp = absent ? rest.slice(0, -absentSuffix.length) : rest;
    if (!/^\d{8}T\d{9}Z$/.test(stamp)) continue; // not ours (or a temp file of an atomic write)
    found.push({ file, stamp, path: join(dirname(file), name), absent });
  }
  return found.sort((left, right) => left.stamp.localeCompare(right.stamp));
}
