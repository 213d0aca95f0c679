/**
 * The account store: the one way agw reads and changes `accounts.json` and `accounts/<id>.json`.
 *
 * Every read-modify-write re-reads the file under the data-directory lock and writes atomically, so concurrent
 * writers (the server's token refresh, the CLI, a second server) never lose each other's updates and a crash never
 * leaves half a file (reference weaknesses 1 and 4). Reads take no lock: every file is replaced atomically, so a
 * reader sees a whole old or a whole new file, and a list never comes back empty because a write was in flight
 * (weakness 2).
 */
import { randomUUID } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { GatewayError } from '../errors/catalogue.ts';
import { type Logger, silentLogger } from '../telemetry/log-port.ts';
import { compareByLastUsedThenEmail, listAccountFileIds, readAccountFile } from './account-files.ts';
import { emptyIndex, loadIndexRepairing, type RepairContext, readIndexFile, syncSummary } from './account-index.ts';
import {
  type AccountMutation,
  type CredentialGuard,
  disableMutation,
  persistTokenMutation,
  proxyDisableMutation,
  proxyEnableMutation,
} from './account-mutations.ts';
import {
  type Account,
  type AccountIndex,
  accountSchema,
  type TokenData,
  type tokenDataSchema,
} from './account-schema.ts';
import { ensurePrivateDirectory, tempFilePattern, withDataDirLock, writeJsonAtomic } from './atomic-file.ts';
import { accountPath, accountsDirectory, indexPath, isSafeAccountId } from './data-dir.ts';
import { watchDataDirectory } from './data-dir-watcher.ts';

export interface AccountStoreOptions {
  logger?: Logger;
  /** Milliseconds since the epoch; injected so tests control every stored time. */
  now?: () => number;
  /** New account ids and backup-name suffixes; UUID v4 by default. */
  randomId?: () => string;
}

export interface StoreProblem {
  /** Relative to the data directory, e.g. `accounts/<id>.json`. */
  file: string;
  message: string;
}

export type TokenInput = z.input<typeof tokenDataSchema>;

export interface UpsertInput {
  email: string;
  name?: string | null | undefined;
  token: TokenInput;
}

export type { AccountMutation, CredentialGuard } from './account-mutations.ts';

export type UpsertOutcome = 'added' | 'updated' | 're-enabled';

export interface AccountChange {
  /** Ids whose files changed, or 'all' when the index changed (order, additions, removals). */
  accountIds: string[] | 'all';
}

export interface AccountStore {
  readonly dataDir: string;
  list(): Promise<{ accounts: Account[]; problems: StoreProblem[] }>;
  get(idOrEmail: string): Promise<Account>;
  upsert(input: UpsertInput): Promise<{ account: Account; outcome: UpsertOutcome }>;
  update(id: string, mutate: AccountMutation): Promise<Account>;
  disable(id: string, reason: string, guard?: CredentialGuard): Promise<Account>;
  proxyDisable(id: string, reason?: string): Promise<Account>;
  proxyEnable(id: string): Promise<Account>;
  persistToken(id: string, tokenPatch: Partial<TokenData>, guard?: CredentialGuard): Promise<Account>;
  remove(id: string): Promise<void>;
  /**
   * Stores a whole account as it is (moving accounts between a data directory and Redis): under the id of the
   * stored account with the same email if there is one, else under its own id. No Google call, no merge.
   */
  importAccount(account: Account): Promise<'added' | 'replaced'>;
  reorder(ids: readonly string[]): Promise<void>;
  watch(listener: (change: AccountChange) => void, options?: { debounceMs?: number }): () => void;
}

/** A temp file this old cannot belong to a write still in flight: a leftover of a killed process. */
const staleTempAgeMs = 60_000;

/** Opens the store of one data directory. Nothing is read or created until the first call. */
export function openAccountStore(dataDir: string, options: AccountStoreOptions = {}): AccountStore {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const randomId = options.randomId ?? randomUUID;
  const nowSeconds = (): number => Math.floor(now() / 1000);
  const repairContext: RepairContext = { dataDir, logger, nowSeconds, randomId };
  let sweptTempFiles = false;

  /** Runs under the lock; wraps filesystem failures into the catalogue. */
  async function locked<T>(work: () => Promise<T>): Promise<T> {
    return asStoreError(() =>
      withDataDirLock(dataDir, async () => {
        await ensurePrivateDirectory(accountsDirectory(dataDir));
        if (!sweptTempFiles) {
          sweptTempFiles = true;
          await sweepStaleTempFiles(dataDir, logger);
        }
        return work();
      }),
    );
  }

  async function readExisting(id: string): Promise<Account> {
    const read = await readAccountFile(dataDir, id);
    if (read.kind === 'missing') throw notFound(id);
    if (read.kind === 'corrupt') throw corrupt(read.file, read.message);
    return read.account;
  }

  async function writeAccountAndIndex(account: Account, index: AccountIndex | undefined): Promise<void> {
    await writeJsonAtomic(accountPath(dataDir, account.id), account);
    const current = index ?? (await loadIndexRepairing(repairContext));
    const changed = syncSummary(current, account);
    if (changed) await writeJsonAtomic(indexPath(dataDir), current);
  }

  /** The read-modify-write of one account; the caller holds the lock. */
  async function updateLocked(id: string, mutate: AccountMutation): Promise<Account> {
    const stored = await readExisting(id);
    const draft = structuredClone(stored);
    let result: Account;
    try {
      result = mutate(draft) ?? draft;
    } catch (error) {
      throw new CallerError(error);
    }
    const checked = accountSchema.safeParse(result);
    if (!checked.success) {
      const paths = checked.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
      throw new GatewayError('AGW_INTERNAL', `an account change produced an invalid account (fields: ${paths})`);
    }
    const next = checked.data;
    if (next.id !== id) throw new GatewayError('AGW_INTERNAL', 'an account change must not alter the account id');
    if (JSON.stringify(next) === JSON.stringify(stored)) {
      // Nothing to write; still repair an index entry another tool left stale.
      const index = await loadIndexRepairing(repairContext);
      if (syncSummary(index, next)) await writeJsonAtomic(indexPath(dataDir), index);
      return next;
    }
    await writeAccountAndIndex(next, undefined);
    return next;
  }

  async function findIdByEmail(index: AccountIndex, email: string): Promise<string | undefined> {
    const listed = index.accounts.find((entry) => entry.email === email && isSafeAccountId(entry.id));
    if (listed !== undefined) return listed.id;
    // Files missing from the index still count, or a re-add would create a duplicate.
    const known = new Set(index.accounts.map((entry) => entry.id));
    for (const id of await listAccountFileIds(dataDir)) {
      if (known.has(id)) continue;
      const read = await readAccountFile(dataDir, id);
      if (read.kind === 'ok' && read.account.email === email) return id;
    }
    return undefined;
  }

  const store: AccountStore = {
    dataDir,

    async list() {
      return asStoreError(async () => {
        let index: AccountIndex;
        const read = await readIndexFile(dataDir);
        if (read.kind === 'ok') index = read.index;
        else if (read.kind === 'missing' && (await listAccountFileIds(dataDir)).length === 0) index = emptyIndex();
        else index = await locked(() => loadIndexRepairing(repairContext));
        const problems: StoreProblem[] = [];
        const seen = new Set<string>();
        const listedIds: string[] = [];
        for (const entry of index.accounts) {
          if (seen.has(entry.id)) continue;
          seen.add(entry.id);
          if (!isSafeAccountId(entry.id)) {
            problems.push({
              file: 'accounts.json',
              message: `the index lists an unusable id ${JSON.stringify(entry.id)}`,
            });
            continue;
          }
          listedIds.push(entry.id);
        }
        const orphanIds = (await listAccountFileIds(dataDir)).filter((id) => !seen.has(id));
        // Files are read a few dozen at a time: a pool of 10,000 accounts loads in a fraction of the sequential time.
        const accounts = await readManyForList(listedIds, problems, true);
        const orphans = await readManyForList(orphanIds, problems, false);
        orphans.sort(compareByLastUsedThenEmail);
        return { accounts: [...accounts, ...orphans], problems };
      });
    },

    async get(idOrEmail) {
      return asStoreError(async () => {
        if (isSafeAccountId(idOrEmail)) {
          const read = await readAccountFile(dataDir, idOrEmail);
          if (read.kind === 'ok') return read.account;
          if (read.kind === 'corrupt') throw corrupt(read.file, read.message);
        }
        const { accounts } = await store.list();
        const exact = accounts.find((account) => account.email === idOrEmail);
        if (exact !== undefined) return exact;
        // Emails are exact keys (the reference matches case-sensitively), but a user typing an address in another
        // case means the same mailbox; accept it when it is unambiguous.
        const folded = idOrEmail.toLowerCase();
        const loose = accounts.filter((account) => account.email.toLowerCase() === folded);
        if (loose.length === 1 && loose[0] !== undefined) return loose[0];
        throw notFound(idOrEmail);
      });
    },

    async upsert(input) {
      return locked(async () => {
        const index = await loadIndexRepairing(repairContext);
        const timestamp = nowSeconds();
        const existingId = await findIdByEmail(index, input.email);
        const existing = existingId === undefined ? undefined : await readAccountFile(dataDir, existingId);
        if (existing?.kind === 'corrupt') throw corrupt(existing.file, existing.message);
        if (existingId !== undefined && existing?.kind === 'ok') {
          const { account, reEnabled } = mergeUpsert(existing.account, input, timestamp);
          await writeAccountAndIndex(account, index);
          logger.info({ accountId: account.id }, `Updated account ${account.email}${reEnabled ? ' (re-enabled)' : ''}`);
          return { account, outcome: reEnabled ? ('re-enabled' as const) : ('updated' as const) };
        }
        if (existingId !== undefined) {
          logger.warn({ accountId: existingId }, `Account ${existingId} file missing, recreating it`);
        }
        const id = existingId ?? randomId();
        const account = newAccount(id, input, timestamp);
        if (index.current_account_id === undefined || index.current_account_id === null) {
          index.current_account_id = id;
        }
        await writeAccountAndIndex(account, index);
        logger.info({ accountId: id }, `Added account ${account.email}`);
        return { account, outcome: 'added' as const };
      });
    },

    async update(id, mutate) {
      return locked(() => updateLocked(id, mutate));
    },

    async disable(id, reason, guard) {
      return locked(() => updateLocked(id, disableMutation(reason, guard, nowSeconds())));
    },

    async proxyDisable(id, reason) {
      return locked(() => updateLocked(id, proxyDisableMutation(reason, nowSeconds())));
    },

    async proxyEnable(id) {
      return locked(() => updateLocked(id, proxyEnableMutation));
    },

    async persistToken(id, tokenPatch, guard) {
      return locked(() => updateLocked(id, persistTokenMutation(tokenPatch, guard)));
    },

    async remove(id) {
      return locked(async () => {
        const index = await loadIndexRepairing(repairContext);
        const listed = index.accounts.some((entry) => entry.id === id);
        const onDisk = (await readAccountFile(dataDir, id)).kind !== 'missing';
        if (!listed && !onDisk) throw notFound(id);
        // File first: a crash in between leaves an index entry without a file (skipped and reported), never a
        // deleted account that comes back because its file is still there.
        await rm(accountPath(dataDir, id), { force: true });
        index.accounts = index.accounts.filter((entry) => entry.id !== id);
        if (index.current_account_id === id) index.current_account_id = index.accounts[0]?.id ?? null;
        await writeJsonAtomic(indexPath(dataDir), index);
        logger.info({ accountId: id }, `Removed account ${id}`);
      });
    },

    async importAccount(account) {
      return locked(async () => {
        const index = await loadIndexRepairing(repairContext);
        const existingId = await findIdByEmail(index, account.email);
        const stored = accountSchema.parse({ ...account, id: existingId ?? account.id });
        if (!isSafeAccountId(stored.id))
          throw new GatewayError('AGW_INVALID_REQUEST', `unusable account id ${stored.id}`);
        await writeAccountAndIndex(stored, index);
        return existingId === undefined ? ('added' as const) : ('replaced' as const);
      });
    },

    async reorder(ids) {
      return locked(async () => {
        const index = await loadIndexRepairing(repairContext);
        const byId = new Map(index.accounts.map((entry) => [entry.id, entry]));
        const ordered: typeof index.accounts = [];
        for (const id of ids) {
          const entry = byId.get(id);
          if (entry === undefined) continue;
          ordered.push(entry);
          byId.delete(id);
        }
        for (const entry of index.accounts) if (byId.has(entry.id)) ordered.push(entry);
        const changed = ordered.some((entry, position) => entry !== index.accounts[position]);
        index.accounts = ordered;
        if (changed) await writeJsonAtomic(indexPath(dataDir), index);
        logger.info(`Account order updated, ${ordered.length} accounts total`);
      });
    },

    watch(listener, watchOptions = {}) {
      return watchDataDirectory({
        dataDir,
        subdirectories: ['accounts'],
        classify: (relativePath) => {
          if (relativePath === 'accounts.json') return 'all';
          const match = /^accounts\/([^/]+)\.json$/.exec(relativePath);
          if (match?.[1] !== undefined && isSafeAccountId(match[1])) return match[1];
          return undefined;
        },
        listener: (changed) => listener({ accountIds: changed }),
        debounceMs: watchOptions.debounceMs ?? 150,
        logger,
      });
    },
  };

  /** Reads accounts in order with bounded parallelism; problems are reported in order too. */
  async function readManyForList(
    ids: readonly string[],
    problems: StoreProblem[],
    listed: boolean,
  ): Promise<Account[]> {
    const results = new Array<Account | undefined>(ids.length);
    const found = new Array<StoreProblem[]>(ids.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const position = next;
        next += 1;
        const local: StoreProblem[] = [];
        results[position] = await readForList(ids[position] as string, local, listed);
        found[position] = local;
      }
    };
    await Promise.all(Array.from({ length: Math.min(32, ids.length) }, worker));
    for (const list of found) if (list) problems.push(...list);
    return results.filter((account): account is Account => account !== undefined);
  }

  async function readForList(id: string, problems: StoreProblem[], listed: boolean): Promise<Account | undefined> {
    const read = await readAccountFile(dataDir, id);
    if (read.kind === 'ok') return read.account;
    if (read.kind === 'corrupt') {
      logger.warn({ file: read.file, problem: read.message }, `Failed to load account ${id}: ${read.message}; skipped`);
      problems.push({ file: read.file, message: read.message });
    } else if (listed) {
      const message = 'listed in accounts.json but the file is missing';
      logger.warn({ file: `accounts/${id}.json` }, `Failed to load account ${id}: ${message}; skipped`);
      problems.push({ file: `accounts/${id}.json`, message });
    }
    return undefined;
  }

  return store;
}

/**
 * The upsert merge (reference §3.2, minus weakness 17): token fields the new token lacks keep their stored values,
 * a missing name keeps the stored one, and a disabled account is re-enabled only when a credential changed.
 */
export function mergeUpsert(
  stored: Account,
  input: UpsertInput,
  timestampSeconds: number,
): { account: Account; reEnabled: boolean } {
  const account = structuredClone(stored);
  const token: Record<string, unknown> = { ...stored.token };
  for (const [key, value] of Object.entries(input.token)) {
    if (value === undefined || value === null) continue;
    if (value === '' && (key === 'refresh_token' || key === 'project_id' || key === 'oauth_client_key')) continue;
    token[key] = value;
  }
  account.token = token as TokenData;
  const name = nonEmpty(input.name);
  if (name !== undefined) account.name = name;
  const credentialsChanged =
    account.token.refresh_token !== stored.token.refresh_token ||
    account.token.access_token !== stored.token.access_token;
  const reEnabled = stored.disabled && credentialsChanged;
  if (reEnabled) {
    account.disabled = false;
    delete account.disabled_reason;
    delete account.disabled_at;
  }
  account.last_used = timestampSeconds;
  return { account: accountSchema.parse(account), reEnabled };
}

/** A newly added account: enabled, in rotation, first seen and last used now. */
export function newAccount(id: string, input: UpsertInput, timestampSeconds: number): Account {
  return accountSchema.parse({
    id,
    email: input.email,
    name: nonEmpty(input.name) ?? null,
    token: input.token,
    disabled: false,
    proxy_disabled: false,
    validation_blocked: false,
    created_at: timestampSeconds,
    last_used: timestampSeconds,
  });
}

export function nonEmpty(value: string | null | undefined): string | undefined {
  return value === undefined || value === null || value.trim() === '' ? undefined : value;
}

export function notFound(idOrEmail: string): GatewayError {
  return new GatewayError('AGW_ACCOUNT_NOT_FOUND', `no account has the id or email ${JSON.stringify(idOrEmail)}`);
}

function corrupt(file: string, message: string): GatewayError {
  return new GatewayError(
    'AGW_ACCOUNT_FILE_CORRUPT',
    `${file} cannot be read (${message}); it was left as it is — fix or remove it by hand`,
    { details: { file } },
  );
}

/** Carries an error thrown by a caller's mutation past asStoreError unchanged. */
class CallerError {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

async function asStoreError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CallerError) throw error.error;
    if (GatewayError.is(error)) throw error;
    throw new GatewayError('AGW_STORE_IO', `the data directory could not be read or written: ${String(error)}`, {
      cause: error,
    });
  }
}

/** Removes temp files left by killed writers (ours or the reference's); recent ones may still be in flight. */
async function sweepStaleTempFiles(dataDir: string, logger: Logger): Promise<void> {
  for (const directory of [dataDir, accountsDirectory(dataDir)]) {
    let names: string[];
    try {
      names = await readdir(directory);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!tempFilePattern.test(name)) continue;
      const path = join(directory, name);
      try {
        const info = await stat(path);
        // Wall-clock on purpose: file times come from the real clock, not the store's injected one.
        if (!info.isFile() || Date.now() - info.mtimeMs < staleTempAgeMs) continue;
        await rm(path, { force: true });
        logger.info({ file: name }, `Removed a leftover temp file ${name}`);
      } catch {
        // Another process removed or renamed it meanwhile.
      }
    }
  }
}
