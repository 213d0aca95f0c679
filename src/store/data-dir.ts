/**
 * Where things live inside the data directory (accounts-tokens-pool.md §1.2). The directory itself is always
 * passed in: only src/config/ resolves AGW_DATA_DIR / ABV_DATA_DIR (and the default ~/.antigravity_tools).
 */
import { join } from 'node:path';
import { GatewayError } from '../errors/catalogue.ts';

export const indexFileName = 'accounts.json';
export const accountsDirectoryName = 'accounts';
export const configFileName = 'gui_config.json';

export function indexPath(dataDir: string): string {
  return join(dataDir, indexFileName);
}

export function accountsDirectory(dataDir: string): string {
  return join(dataDir, accountsDirectoryName);
}

export function configPath(dataDir: string): string {
  return join(dataDir, configFileName);
}

/** Ids become file names, so anything that could escape `accounts/` is refused. */
const safeIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isSafeAccountId(id: string): boolean {
  return safeIdPattern.test(id) && !id.includes('..');
}

export function accountPath(dataDir: string, id: string): string {
  if (!isSafeAccountId(id)) {
    throw new GatewayError('AGW_ACCOUNT_NOT_FOUND', `no account has the id ${JSON.stringify(id)}`);
  }
  return join(accountsDirectory(dataDir), `${id}.json`);
}

/** `accounts/<id>.json` → id; anything else (temp files, backups, other files) → undefined. */
export function accountIdFromFileName(fileName: string): string | undefined {
  if (!fileName.endsWith('.json')) return undefined;
  const id = fileName.slice(0, -'.json'.length);
  return isSafeAccountId(id) ? id : undefined;
}
