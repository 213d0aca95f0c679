/** A fresh directory under the system's temp dir (data dirs, console builds, log dirs); the caller removes it. */
import { mkdtempSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix = 'agw-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** The same, for synchronous set-up code. */
export function tempDirSync(prefix = 'agw-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
