import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TokenInput } from '../../src/store/account-store.ts';
import { tempDir } from '../support/temp-dir.ts';

export async function makeDataDir(): Promise<string> {
  return tempDir('agw-store-');
}

export function token(access: string, refresh: string, extra: Partial<TokenInput> = {}): TokenInput {
  return {
    access_token: access,
    refresh_token: refresh,
    expires_in: 3599,
    expiry_timestamp: 1_700_003_599,
    token_type: 'Bearer',
    ...extra,
  };
}

/** A fake clock in milliseconds that tests move by hand. */
export function fakeClock(startSeconds = 1_700_000_000): { now: () => number; advance: (seconds: number) => void } {
  let current = startSeconds * 1000;
  return {
    now: () => current,
    advance: (seconds) => {
      current += seconds * 1000;
    },
  };
}

/** Deterministic ids: id-0001, id-0002, … */
export function sequentialIds(prefix = 'id'): () => string {
  let next = 0;
  return () => {
    next += 1;
    return `${prefix}-${String(next).padStart(4, '0')}`;
  };
}

/** Every `*.json` file under the data dir and accounts/, parsed; throws on the first invalid one. */
export async function parseEveryJsonFile(dataDir: string): Promise<Map<string, unknown>> {
  const parsed = new Map<string, unknown>();
  for (const directory of ['', 'accounts']) {
    let names: string[] = [];
    try {
      names = await readdir(join(dataDir, directory));
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const relative = directory === '' ? name : `${directory}/${name}`;
      const text = await readFile(join(dataDir, relative), 'utf8');
      try {
        parsed.set(relative, JSON.parse(text));
      } catch (error) {
        throw new Error(`${relative} is not valid JSON: ${String(error)}`);
      }
    }
  }
  return parsed;
}

/** Resolves when `predicate` holds, polling every 20 ms; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
