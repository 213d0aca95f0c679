/**
 * A write-ahead journal for rotated refresh tokens. When Google rotates a refresh token, the old one dies at once;
 * if the process is killed before the new one reaches the account file (the account write waits for the
 * data-directory lock, which the CLI may hold), the account would be lost to invalid_grant. So the new token is
 * first appended here — no lock, one fsync'd line — and only then written to the account file. At start-up the
 * journal is replayed: each entry is applied only if the account file still holds the token it replaced
 * (compare-and-set), so replaying an entry that already landed changes nothing.
 *
 * `agw-token-journal.jsonl` holds secrets: mode 0600, like the account files.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../telemetry/log-port.ts';
import type { AccountStore } from './account-store.ts';
import { secretFileMode } from './atomic-file.ts';

export const tokenJournalName = 'agw-token-journal.jsonl';

export interface RotationEntry {
  accountId: string;
  /** The refresh token the rotation replaced (the compare-and-set condition). */
  previousRefreshToken: string;
  refreshToken: string;
  accessToken: string;
  expiresInSeconds: number;
  expiryTimestamp: number;
}

/** Appends one rotation durably (fsync) before the caller writes the account file. */
export async function journalRotation(dataDir: string, entry: RotationEntry): Promise<void> {
  const handle = await open(join(dataDir, tokenJournalName), 'a', secretFileMode);
  try {
    await handle.appendFile(`${JSON.stringify(entry)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Applies every journalled rotation that did not reach its account file, then removes the journal. Returns how
 * many entries changed a file. A torn last line (killed mid-append) is ignored: its file write never started.
 */
export async function replayTokenJournal(store: AccountStore, logger: Logger): Promise<number> {
  const path = join(store.dataDir, tokenJournalName);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return 0;
  }
  let applied = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let entry: RotationEntry;
    try {
      entry = JSON.parse(line) as RotationEntry;
    } catch {
      continue;
    }
    try {
      const before = await store.get(entry.accountId);
      if (before.token.refresh_token !== entry.previousRefreshToken) continue;
      await store.persistToken(
        entry.accountId,
        {
          refresh_token: entry.refreshToken,
          access_token: entry.accessToken,
          expires_in: entry.expiresInSeconds,
          expiry_timestamp: entry.expiryTimestamp,
        },
        { ifRefreshToken: entry.previousRefreshToken },
      );
      applied += 1;
    } catch (error) {
      logger.warn(
        { accountId: entry.accountId },
        `a journalled token rotation could not be applied: ${(error as Error).message}`,
      );
    }
  }
  if (applied > 0) logger.warn(`recovered ${applied} rotated refresh token(s) that an earlier run had not saved`);
  await rm(path, { force: true });
  return applied;
}
