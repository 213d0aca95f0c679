import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type AccountChange, openAccountStore } from '../../src/store/account-store.ts';
import { watchConfigFile } from '../../src/store/config-file.ts';
import { makeDataDir, token, waitFor } from './helpers.ts';

const workerScript = join(import.meta.dirname, 'fixtures', 'store-worker.ts');

function runWorker(args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--no-warnings', workerScript, ...args], { stdio: 'ignore' });
    child.on('exit', (code) => resolve(code));
  });
}

describe('watching the data directory', () => {
  test('a change made by another process is announced with the account id', async () => {
    const dataDir = await makeDataDir();
    const store = openAccountStore(dataDir);
    const { account } = await store.upsert({ email: 'a@x.com', token: token('a', 'r') });
    const other = await store.upsert({ email: 'b@x.com', token: token('b', 'rb') });
    const changes: AccountChange[] = [];
    const stop = store.watch((change) => changes.push(change), { debounceMs: 100 });
    try {
      // Let the watcher take its first snapshot so the change below is a change, not the starting state.
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(await runWorker(['touch', dataDir, account.id]), 0);
      const mentions = (change: AccountChange) => change.accountIds === 'all' || change.accountIds.includes(account.id);
      await waitFor(() => changes.some(mentions), 3_000, 'the change announcement');
      const ids = changes.flatMap((change) => (change.accountIds === 'all' ? [] : change.accountIds));
      assert.equal(ids.includes(other.account.id), false, 'an untouched account is not announced');
    } finally {
      stop();
    }
  });

  test('the stat fallback alone notices a change (fs.watch events are not needed)', async () => {
    const dataDir = await makeDataDir();
    const store = openAccountStore(dataDir);
    const { account } = await store.upsert({ email: 'a@x.com', token: token('a', 'r') });
    const { watchDataDirectory } = await import('../../src/store/data-dir-watcher.ts');
    const seen: Array<string[] | 'all'> = [];
    const { silentLogger } = await import('../../src/telemetry/log-port.ts');
    // A classifier that ignores the names fs.watch reports forces every announcement through the snapshot diff.
    let acceptEvents = false;
    const stop = watchDataDirectory({
      dataDir,
      subdirectories: ['accounts'],
      classify: (path) => (acceptEvents && path === `accounts/${account.id}.json` ? account.id : undefined),
      listener: (changed) => seen.push(changed),
      debounceMs: 50,
      pollMs: 100,
      logger: silentLogger,
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 150));
      acceptEvents = true;
      await store.proxyDisable(account.id);
      await waitFor(() => seen.length > 0, 3_000, 'the polled change');
      assert.deepEqual(seen[0], [account.id]);
    } finally {
      stop();
    }
  });

  test('stopping the watcher stops announcements; temp and lock files are never announced', async () => {
    const dataDir = await makeDataDir();
    const store = openAccountStore(dataDir);
    await store.upsert({ email: 'a@x.com', token: token('a', 'r') });
    const changes: AccountChange[] = [];
    const stop = store.watch((change) => changes.push(change), { debounceMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await writeFile(join(dataDir, 'accounts', 'x.json.tmp.00000000-0000-4000-8000-000000000000'), '{');
    await writeFile(join(dataDir, 'accounts.json.corrupt-1-2'), '{');
    await writeFile(join(dataDir, 'unrelated.txt'), 'x');
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.deepEqual(changes, []);
    stop();
    await store.upsert({ email: 'b@x.com', token: token('b', 'rb') });
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.deepEqual(changes, []);
  });

  test('a write after a quiet spell is announced at once, not at the end of the debounce window', async () => {
    const dataDir = await makeDataDir();
    const store = openAccountStore(dataDir);
    const first = await store.upsert({ email: 'a@x.com', token: token('a', 'r') });
    const second = await store.upsert({ email: 'b@x.com', token: token('b', 'rb') });
    const { watchDataDirectory } = await import('../../src/store/data-dir-watcher.ts');
    const { silentLogger } = await import('../../src/telemetry/log-port.ts');
    const seen: Array<string[] | 'all'> = [];
    const stop = watchDataDirectory({
      dataDir,
      subdirectories: ['accounts'],
      classify: (path) => /^accounts\/(.+)\.json$/.exec(path)?.[1],
      listener: (changed) => seen.push(changed),
      // A window far longer than the test: an announcement can only come from the settle delay.
      debounceMs: 600_000,
      // Long enough to take in both writes below as one announcement.
      settleMs: 1_000,
      pollMs: 600_000,
      logger: silentLogger,
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await store.proxyDisable(first.account.id);
      await store.proxyDisable(second.account.id);
      await waitFor(() => seen.length > 0, 10_000, 'the first announcement');
      assert.deepEqual(seen, [[first.account.id, second.account.id].sort()]);
    } finally {
      stop();
    }
  });

  test('watchConfigFile announces a change of gui_config.json', async () => {
    const dataDir = await makeDataDir();
    let calls = 0;
    const stop = watchConfigFile(
      dataDir,
      () => {
        calls += 1;
      },
      { debounceMs: 50 },
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await writeFile(join(dataDir, 'gui_config.json'), '{"proxy":{"port":9000}}');
      await waitFor(() => calls > 0, 3_000, 'the config change');
    } finally {
      stop();
    }
  });
});
