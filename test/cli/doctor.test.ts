import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startHarness } from '../harness/gateway-harness.ts';

const run = promisify(execFile);
const entry = fileURLToPath(new URL('../../bin/agw.js', import.meta.url));

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

async function doctor(
  dataDir: string,
  environment: Record<string, string>,
): Promise<{ code: number; checks: Check[] }> {
  try {
    const { stdout } = await run(process.execPath, [entry, '--data-dir', dataDir, 'doctor', '--json'], {
      env: { ...process.env, ...environment },
    });
    return { code: 0, checks: JSON.parse(stdout) as Check[] };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, checks: JSON.parse(failed.stdout) as Check[] };
  }
}

test('doctor: all checks pass against a healthy setup; problems are named with what to do', async () => {
  const harness = await startHarness({ accounts: [{ email: 'doctor@example.com' }] });
  try {
    const healthy = await doctor(harness.dataDir, harness.environment);
    const byName = new Map(healthy.checks.map((check) => [check.name, check]));
    assert.equal(byName.get('accounts')?.ok, true, byName.get('accounts')?.detail);
    assert.equal(byName.get('configuration')?.ok, true);
    assert.equal(byName.get('OAuth token endpoint')?.ok, true, 'the fake Google answers');
    assert.equal(byName.get('upstream endpoint 1')?.ok, true);

    const broken = await doctor(harness.dataDir, {
      ...harness.environment,
      AGW_UPSTREAM_ENDPOINTS: harness.fake.urls.v1internalRefused,
    });
    assert.equal(broken.code, 1);
    const upstream = broken.checks.find((check) => check.name === 'upstream endpoint 1');
    assert.equal(upstream?.ok, false);
    assert.match(upstream?.fix ?? '', /AGW_UPSTREAM_ENDPOINTS/);
  } finally {
    await harness.close();
  }
});
