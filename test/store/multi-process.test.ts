import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openAccountStore } from '../../src/store/account-store.ts';
import { emailsPerWorker, expectedFinalState, planOperations } from './fixtures/plan.ts';
import { makeDataDir, parseEveryJsonFile, token } from './helpers.ts';

const workerScript = join(import.meta.dirname, 'fixtures', 'store-worker.ts');

interface Worker {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  stdout: () => string;
}

function startWorker(args: string[]): Worker {
  const child = spawn(process.execPath, ['--no-warnings', workerScript, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, exited, stdout: () => stdout };
}

async function withTimeout<T>(promise: Promise<T>, milliseconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), milliseconds);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('several OS processes on one data directory', () => {
  test('two processes interleaving upserts, proxy toggles and shared counters lose no update', async () => {
    const dataDir = await makeDataDir();
    const store = openAccountStore(dataDir);
    const shared = await store.upsert({ email: 'shared@example.com', token: token('s', 'rs') });
    const perWorker = 100;
    const workers = ['alpha', 'beta'].map((name) =>
      startWorker(['interleave', dataDir, name, String(perWorker), shared.account.id]),
    );
    let running = true;
    const allExited = Promise.all(workers.map((worker) => worker.exited)).finally(() => {
      running = false;
    });
    // Meanwhile this process reads: a read never sees a broken file and the list never shrinks.
    let previousCount = 0;
    for (let reads = 0; running && reads < 2_000; reads += 1) {
      const { accounts, problems } = await store.list();
      assert.deepEqual(problems, []);
      assert.ok(accounts.length >= previousCount, 'the list never shrinks while others write');
      previousCount = accounts.length;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const results = await withTimeout(allExited, 60_000, 'workers to finish');
    for (const result of results) assert.equal(result.code, 0, result.stderr);

    const { accounts, problems } = await store.list();
    assert.deepEqual(problems, []);
    assert.equal(accounts.length, 1 + 2 * emailsPerWorker);
    const byEmail = new Map(accounts.map((account) => [account.email, account]));
    for (const name of ['alpha', 'beta']) {
      for (const [email, expected] of expectedFinalState(planOperations(name, perWorker))) {
        const account = byEmail.get(email);
        assert.ok(account, `${email} exists`);
        assert.equal(account.token.access_token, expected.access, `${email} access token`);
        assert.equal(account.proxy_disabled, expected.proxyDisabled, `${email} proxy_disabled`);
        assert.equal(account.proxy_disabled_reason, expected.reason, `${email} reason`);
      }
    }
    const counters = await store.get(shared.account.id);
    assert.equal(counters['counter_total'], 2 * perWorker);
    assert.equal(counters['counter_alpha'], perWorker);
    assert.equal(counters['counter_beta'], perWorker);
    const files = await parseEveryJsonFile(dataDir);
    const index = files.get('accounts.json') as { accounts: Array<{ id: string; proxy_disabled: boolean }> };
    assert.equal(index.accounts.length, accounts.length);
    assert.equal(new Set(index.accounts.map((entry) => entry.id)).size, index.accounts.length, 'no duplicates');
    for (const entry of index.accounts) {
      const account = accounts.find((candidate) => candidate.id === entry.id);
      assert.equal(entry.proxy_disabled, account?.proxy_disabled, 'index summary in sync');
    }
    const leftovers = [...(await readdir(dataDir)), ...(await readdir(join(dataDir, 'accounts')))].filter(
      (name) => name.includes('.tmp.') || name === '.agw.lock',
    );
    assert.deepEqual(leftovers, []);
  });

  test('kill -9 in the middle of a write storm leaves only valid files and a usable store', async () => {
    const dataDir = await makeDataDir();
    for (let round = 0; round < 1; round += 1) {
      const worker = startWorker(['storm', dataDir, `w${round}`]);
      await withTimeout(
        (async () => {
          while (!worker.stdout().includes('ready')) {
            const early = await Promise.race([
              worker.exited,
              new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10)),
            ]);
            if (early !== undefined) throw new Error(`worker exited early: ${early.stderr}`);
          }
        })(),
        30_000,
        'the storm to start',
      );
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(Math.random() * 200)));
      worker.child.kill('SIGKILL');
      const result = await withTimeout(worker.exited, 10_000, 'the worker to die');
      assert.equal(result.signal, 'SIGKILL');

      const files = await parseEveryJsonFile(dataDir);
      assert.ok(files.has('accounts.json'));
      const { accounts, problems } = await openAccountStore(dataDir).list();
      assert.deepEqual(problems, []);
      assert.equal(accounts.length, 5 * (round + 1));
      for (const account of accounts) assert.equal(typeof account.token.refresh_token, 'string');
    }
    // The dead worker's lock is taken over and writing works again.
    const store = openAccountStore(dataDir);
    const { outcome } = await withTimeout(
      store.upsert({ email: 'w0-0@example.com', token: token('after', 'refresh-0') }),
      30_000,
      'an upsert after the kill',
    );
    assert.equal(outcome, 'updated');
    assert.equal((await store.list()).accounts.length, 5);
  });
});
