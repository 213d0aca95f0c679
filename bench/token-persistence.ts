/**
 * What persisting a refreshed token costs a request. A request that finds its access token due waits for the
 * refresh; this measures that wait with an instant token endpoint, so what is left is agw's own work: the token
 * write (journal append + locked atomic account write) where it sits on the request's path. Two cases: Google
 * keeps the refresh token (the usual answer) and Google rotates it. Also times the two writes on their own.
 *
 * Run: `npm exec -- node bench/token-persistence.ts` (prints one JSON line; part of `npm run bench`).
 */
import { rm } from 'node:fs/promises';
import { createAccountPool } from '../src/pool/pool.ts';
import type { TokenClient } from '../src/pool/ports.ts';
import { defaultPoolSettings } from '../src/pool/settings.ts';
import { poolStorageFrom, systemClock } from '../src/server/pool-wiring.ts';
import { openAccountStore } from '../src/store/account-store.ts';
import { journalRotation } from '../src/store/token-journal.ts';
import { tempDir } from '../test/support/temp-dir.ts';

const refreshes = 200;

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

function summary(samples: number[]): { p50Ms: number; p99Ms: number } {
  const sorted = [...samples].sort((left, right) => left - right);
  return { p50Ms: Number(percentile(sorted, 0.5).toFixed(3)), p99Ms: Number(percentile(sorted, 0.99).toFixed(3)) };
}

async function refreshPath(rotate: boolean): Promise<{ p50Ms: number; p99Ms: number }> {
  const dataDir = await tempDir('agw-bench-tokens-');
  try {
    const store = openAccountStore(dataDir);
    const { account } = await store.upsert({
      email: 'bench@example.com',
      token: {
        access_token: 'ya29.start',
        refresh_token: '1//start',
        expires_in: 3599,
        expiry_timestamp: Math.floor(Date.now() / 1000) + 3599,
        project_id: 'bench-project',
      },
    });
    let counter = 0;
    const tokenClient: TokenClient = {
      refresh: async () => {
        counter += 1;
        return {
          accessToken: `ya29.bench-${counter}`,
          expiresInSeconds: 3599,
          ...(rotate ? { refreshToken: `1//rotated-${counter}` } : {}),
        };
      },
    };
    const pool = createAccountPool({
      clock: systemClock,
      tokenClient,
      projectResolver: { resolve: async () => 'bench-project' },
      storage: poolStorageFrom(store, Date.now),
      settings: defaultPoolSettings,
    });
    pool.load((await store.list()).accounts);
    const samples: number[] = [];
    let current = 'ya29.start';
    for (let index = 0; index < refreshes; index += 1) {
      const started = performance.now();
      current = (await pool.accessTokenFor(account.id, { force: true, staleToken: current })) ?? current;
      samples.push(performance.now() - started);
      // Writes the pool left to the background finish before the next round, outside the timed part.
      await pool.settle();
    }
    return summary(samples);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function writeCosts(): Promise<{ journalAppend: object; lockedAccountWrite: object }> {
  const dataDir = await tempDir('agw-bench-tokens-');
  try {
    const store = openAccountStore(dataDir);
    const { account } = await store.upsert({
      email: 'bench@example.com',
      token: { access_token: 'ya29.a', refresh_token: '1//a', expires_in: 3599, expiry_timestamp: 1 },
    });
    const journal: number[] = [];
    const write: number[] = [];
    for (let index = 0; index < refreshes; index += 1) {
      let started = performance.now();
      await journalRotation(dataDir, {
        accountId: account.id,
        previousRefreshToken: '1//a',
        refreshToken: '1//a',
        accessToken: `ya29.${index}`,
        expiresInSeconds: 3599,
        expiryTimestamp: 1,
      });
      journal.push(performance.now() - started);
      started = performance.now();
      await store.persistToken(account.id, { access_token: `ya29.${index}` }, { ifRefreshToken: '1//a' });
      write.push(performance.now() - started);
    }
    return { journalAppend: summary(journal), lockedAccountWrite: summary(write) };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const result = {
  refreshes,
  refreshWaitKeptTokenMs: await refreshPath(false),
  refreshWaitRotatedTokenMs: await refreshPath(true),
  ...(await writeCosts()),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
