/**
 * Reading account files one by one. A file that cannot be parsed is reported, never rewritten or deleted: it may be
 * a newer reference-system format, or the user's only copy of a refresh token.
 */
import { readdir } from 'node:fs/promises';
import { type Account, accountSchema } from './account-schema.ts';
import { readBytesIfExists } from './atomic-file.ts';
import { accountIdFromFileName, accountPath, accountsDirectory } from './data-dir.ts';
import { parseWithSchema, sanitizeJsonBytes } from './json-file.ts';

export type AccountFileRead =
  | { kind: 'ok'; account: Account }
  | { kind: 'missing' }
  | { kind: 'corrupt'; file: string; message: string };

/** Reads `accounts/<id>.json`; the file's `id` field must match its name, because writes go by name. */
export async function readAccountFile(dataDir: string, id: string): Promise<AccountFileRead> {
  const file = `accounts/${id}.json`;
  const bytes = await readBytesIfExists(accountPath(dataDir, id));
  if (bytes === undefined) return { kind: 'missing' };
  const parsed = parseWithSchema(sanitizeJsonBytes(bytes), accountSchema);
  if (!parsed.ok) return { kind: 'corrupt', file, message: parsed.message };
  if (parsed.value.id !== id) {
    return { kind: 'corrupt', file, message: 'its "id" field does not match the file name' };
  }
  return { kind: 'ok', account: parsed.value };
}

/** Ids of every `accounts/<id>.json` (temp files, backups and other names are ignored), sorted. */
export async function listAccountFileIds(dataDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(accountsDirectory(dataDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const ids: string[] = [];
  for (const name of names) {
    const id = accountIdFromFileName(name);
    if (id !== undefined) ids.push(id);
  }
  return ids.sort();
}

/** The reference's rebuild order: most recently used first, then by email. */
export function compareByLastUsedThenEmail(left: Account, right: Account): number {
  if (left.last_used !== right.last_used) return right.last_used - left.last_used;
  return left.email < right.email ? -1 : left.email > right.email ? 1 : 0;
}
