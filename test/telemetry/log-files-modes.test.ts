/**
 * Log files name accounts: the log directory is 0700 and each file 0600, also when they already existed with a
 * wider mode (an older agw, a umask of 022).
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDailyFile } from '../../src/telemetry/log-files.ts';

test('the log directory and files are owner-only, tightened when they existed wider', async () => {
  const root = await mkdtemp(join(tmpdir(), 'agw-log-modes-'));
  try {
    const directory = join(root, 'logs');
    await mkdir(directory, { mode: 0o755 });
    await chmod(directory, 0o755);
    const now = Date.UTC(2026, 11, 4, 12);
    const existing = join(directory, 'agw.log.2026-12-04');
    await writeFile(existing, 'old line\n');
    await chmod(existing, 0o644);
    const destination = openDailyFile({ directory, now: () => now, retentionDays: 7, maxTotalBytes: 1_000_000 });
    destination.write('new line\n');
    destination.close();
    assert.equal((await stat(directory)).mode & 0o777, 0o700);
    assert.equal((await stat(existing)).mode & 0o777, 0o600);

    const fresh = join(root, 'fresh-logs');
    const second = openDailyFile({ directory: fresh, now: () => now, retentionDays: 7, maxTotalBytes: 1_000_000 });
    second.write('line\n');
    second.close();
    assert.equal((await stat(fresh)).mode & 0o777, 0o700);
    assert.equal((await stat(second.currentPath)).mode & 0o777, 0o600);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
