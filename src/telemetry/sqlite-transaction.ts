import type { DatabaseSync } from 'node:sqlite';

/**
 * Runs `work` in one write transaction on agw.db: BEGIN IMMEDIATE takes the write lock first (so a reader in another
 * process never turns into a failing writer halfway), COMMIT when `work` returns, ROLLBACK and rethrow when it throws.
 */
export function inWriteTransaction<Result>(database: DatabaseSync, work: () => Result): Result {
  database.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    database.exec('COMMIT');
    return result;
  } catch (error) {
    database.exec('ROLLBACK');
    throw error;
  }
}
