/**
 * The index `accounts.json`: display order, summaries and the current account (accounts-tokens-pool.md §2.4), and
 * its self-repair (§1.4). The index is a cache of the account files: whenever it is missing or unreadable it is
 * rebuilt from them, and an unreadable one is kept aside as `accounts.json.corrupt-<unix>-<random>`.
 */
import { join } from 'node:path';
import type { Logger } from '../telemetry/log-port.ts';
import { compareByLastUsedThenEmail, listAccountFileIds, readAccountFile } from './account-files.ts';
import { type Account, type AccountIndex, type AccountSummary, accountIndexSchema } from './account-schema.ts';
import { readBytesIfExists, writeJsonAtomic, writeTextAtomic } from './atomic-file.ts';
import { indexFileName, indexPath } from './data-dir.ts';
import { parseWithSchema, sanitizeJsonBytes } from './json-file.ts';

export type IndexRead =
  | { kind: 'ok'; index: AccountIndex }
  | { kind: 'missing' }
  | { kind: 'empty'; bytes: Buffer }
  | { kind: 'corrupt'; bytes: Buffer; message: string };

export async function readIndexFile(dataDir: string): Promise<IndexRead> {
  const bytes = await readBytesIfExists(indexPath(dataDir));
  if (bytes === undefined) return { kind: 'missing' };
  const text = sanitizeJsonBytes(bytes);
  if (text.trim() === '') return { kind: 'empty', bytes };
  const parsed = parseWithSchema(text, accountIndexSchema);
  if (!parsed.ok) return { kind: 'corrupt', bytes, message: parsed.message };
  return { kind: 'ok', index: parsed.value };
}

export function emptyIndex(): AccountIndex {
  return { version: '2.0', accounts: [], current_account_id: null };
}

/** The index entry for an account; keys of the previous entry that agw does not know are kept. */
export function summaryOf(account: Account, previous?: AccountSummary): AccountSummary {
  const summary: AccountSummary = {
    ...previous,
    id: account.id,
    email: account.email,
    name: account.name ?? null,
    disabled: account.disabled,
    proxy_disabled: account.proxy_disabled,
    created_at: account.created_at,
    last_used: account.last_used,
  };
  // The reference omits an empty set.
  if (account.protected_models !== undefined && account.protected_models.length > 0) {
    summary.protected_models = [...account.protected_models];
  } else {
    delete summary.protected_models;
  }
  return summary;
}

/** Puts the account's summary into the index (in place, or appended). Returns whether anything changed. */
export function syncSummary(index: AccountIndex, account: Account): boolean {
  const position = index.accounts.findIndex((entry) => entry.id === account.id);
  const previous = position === -1 ? undefined : index.accounts[position];
  const next = summaryOf(account, previous);
  if (previous !== undefined && JSON.stringify(previous) === JSON.stringify(next)) return false;
  if (position === -1) index.accounts.push(next);
  else index.accounts[position] = next;
  return true;
}

export interface RebuildResult {
  index: AccountIndex;
  /** Ids whose files could not be read; they are left out of the index but left untouched on disk. */
  skipped: string[];
}

/** Builds an index from `accounts/*.json` in the reference's order. */
export async function rebuildIndex(dataDir: string): Promise<RebuildResult> {
  const accounts: Account[] = [];
  const skipped: string[] = [];
  for (const id of await listAccountFileIds(dataDir)) {
    const read = await readAccountFile(dataDir, id);
    if (read.kind === 'ok') accounts.push(read.account);
    else if (read.kind === 'corrupt') skipped.push(id);
  }
  accounts.sort(compareByLastUsedThenEmail);
  return {
    index: {
      version: '2.0',
      accounts: accounts.map((account) => summaryOf(account)),
      current_account_id: accounts[0]?.id ?? null,
    },
    skipped,
  };
}

export interface RepairContext {
  dataDir: string;
  logger: Logger;
  nowSeconds: () => number;
  randomId: () => string;
}

/**
 * Loads the index, repairing it when it is unusable. The caller must hold the data-directory lock. A missing index
 * with no account files to recover is not written: a fresh directory stays untouched until the first real write.
 */
export async function loadIndexRepairing(context: RepairContext): Promise<AccountIndex> {
  const { dataDir, logger } = context;
  const read = await readIndexFile(dataDir);
  if (read.kind === 'ok') {
    logger.debug(
      { accounts: read.index.accounts.length },
      `Loaded the account index with ${read.index.accounts.length} accounts`,
    );
    return read.index;
  }
  if (read.kind === 'missing') {
    const ids = await listAccountFileIds(dataDir);
    if (ids.length === 0) return emptyIndex();
    logger.warn('Account index file not found, attempting recovery from the accounts directory');
  } else if (read.kind === 'empty') {
    logger.warn('Account index is empty (or only a BOM / NUL bytes), attempting recovery from the accounts directory');
  } else {
    logger.error(
      { problem: read.message },
      `Failed to parse the account index: ${read.message}. Attempting recovery from the accounts directory`,
    );
  }
  if (read.kind === 'empty' || read.kind === 'corrupt') {
    if (read.bytes.length > 0) {
      const backupName = `${indexFileName}.corrupt-${context.nowSeconds()}-${context.randomId()}`;
      await writeTextAtomic(join(dataDir, backupName), read.bytes);
      logger.warn({ backup: backupName }, `Kept the unreadable account index as ${backupName}`);
    }
  }
  const { index, skipped } = await rebuildIndex(dataDir);
  await writeJsonAtomic(indexPath(dataDir), index);
  logger.warn(
    { recovered: index.accounts.length, skipped },
    `Rebuilt the account index from the accounts directory: ${index.accounts.length} accounts recovered`,
  );
  return index;
}
