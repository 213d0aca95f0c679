/**
 * Setup and undo for one client: reads the files the client's writer owns, asks the writer for their new text,
 * backs up each file that changes, and writes it atomically (temp file + rename, mode 0600: the files now hold a
 * key). A dry run does the same reading and checking and reports, but writes nothing. A file that cannot be read
 * safely fails the whole run before anything is written.
 */
import { existsSync } from 'node:fs';
import { lstat, readFile, realpath, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GatewayError } from '../errors/catalogue.ts';
import { ensurePrivateDirectory, readTextIfExists, writeTextAtomic } from '../store/atomic-file.ts';
import { maskSecret } from '../telemetry/redaction.ts';
import { backupPath, backupStamp, backupsOf, type FoundBackup } from './backups.ts';
import type { ClientName, SettingChange, SetupTarget } from './types.ts';
import { clientWriters } from './writers.ts';

export type FileAction = 'create' | 'update' | 'unchanged' | 'restore' | 'remove';

export interface FileReport {
  readonly path: string;
  readonly action: FileAction;
  /** The backup written (setup) or restored from (undo); absent for unchanged files and dry runs of setup. */
  readonly backup?: string;
  /** What setup sets in this file; secrets masked. */
  readonly changes: ReadonlyArray<{ key: string; value: string | null }>;
}

export interface SetupReport {
  readonly client: ClientName;
  readonly title: string;
  readonly dryRun: boolean;
  readonly undo: boolean;
  readonly files: readonly FileReport[];
  readonly notes: readonly string[];
}

export interface SetupOptions {
  readonly home: string;
  readonly dryRun?: boolean;
  /** For the backup time stamp (tests pass a fixed clock). */
  readonly now?: () => Date;
}

function shown(change: SettingChange): { key: string; value: string | null } {
  if (change.value === undefined) return { key: change.key, value: null };
  return { key: change.key, value: change.secret ? maskSecret(change.value) : change.value };
}

/** Writes to the file a symlink points at, so a dotfile manager's link stays a link. */
async function writeTarget(path: string): Promise<string> {
  try {
    return (await lstat(path)).isSymbolicLink() ? await realpath(path) : path;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw error;
  }
}

function freeStamp(paths: readonly string[], now: Date): string {
  // Two runs within one millisecond would share a stamp; step forward until no backup of that stamp exists.
  for (let step = 0; step < 1000; step += 1) {
    const stamp = backupStamp(new Date(now.getTime() + step));
    if (
      paths.every((path) => !existsSync(backupPath(path, stamp, true)) && !existsSync(backupPath(path, stamp, false)))
    )
      return stamp;
  }
  throw new GatewayError('AGW_STORE_IO', 'could not choose a free backup name');
}

export async function setupClient(
  client: ClientName,
  target: SetupTarget,
  options: SetupOptions,
): Promise<SetupReport> {
  const writer = clientWriters[client];
  const paths = writer.files(options.home);
  const current = new Map<string, string | undefined>();
  for (const path of paths) current.set(path, await readTextIfExists(path));
  const plans = writer.plan(current, options.home, target);
  const dryRun = options.dryRun === true;
  const stamp = dryRun ? '' : freeStamp(paths, (options.now ?? (() => new Date()))());
  const files: FileReport[] = [];
  for (const plan of plans) {
    const before = current.get(plan.path);
    const action: FileAction = before === undefined ? 'create' : before === plan.text ? 'unchanged' : 'update';
    const changes = plan.changes.map(shown);
    if (dryRun || action === 'unchanged') {
      files.push({ path: plan.path, action, changes });
      continue;
    }
    await ensurePrivateDirectory(dirname(plan.path));
    const backup = backupPath(plan.path, stamp, before !== undefined);
    // The backup is written (and fsynced) before the file changes, so a crash in between leaves the old settings.
    await writeTextAtomic(backup, before ?? '');
    await writeTextAtomic(await writeTarget(plan.path), plan.text);
    files.push({ path: plan.path, action, backup, changes });
  }
  return { client, title: writer.title, dryRun, undo: false, files, notes: writer.notes(target) };
}

/** Restores the files of the client's latest setup run from their backups, and deletes those backups. */
export async function undoClientSetup(client: ClientName, options: SetupOptions): Promise<SetupReport> {
  const writer = clientWriters[client];
  const found: FoundBackup[] = [];
  for (const path of writer.files(options.home)) found.push(...(await backupsOf(path)));
  const latest = found
    .map((backup) => backup.stamp)
    .sort()
    .at(-1);
  if (latest === undefined) {
    throw new GatewayError(
      'AGW_NOT_FOUND',
      `no agw backup of ${writer.title} settings found next to ${writer.files(options.home).join(', ')}; nothing to undo`,
    );
  }
  const dryRun = options.dryRun === true;
  const files: FileReport[] = [];
  for (const backup of found.filter((candidate) => candidate.stamp === latest)) {
    files.push({ path: backup.file, action: backup.absent ? 'remove' : 'restore', backup: backup.path, changes: [] });
    if (dryRun) continue;
    if (backup.absent) await rm(backup.file, { force: true });
    else await writeTextAtomic(await writeTarget(backup.file), await readFile(backup.path));
    await rm(backup.path, { force: true });
  }
  return { client, title: writer.title, dryRun, undo: true, files, notes: [] };
}
