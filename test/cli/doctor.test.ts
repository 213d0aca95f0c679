import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHarness } from '../harness/gateway-harness.ts';
import { startSocksProxy, withCredentials } from '../support/proxy-servers.ts';
import { runCli } from '../support/run-cli.ts';

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
  const result = await runCli(['--data-dir', dataDir, 'doctor', '--json'], { env: environment });
  return { code: result.code, checks: JSON.parse(result.stdout) as Check[] };
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

test('doctor: Google is checked through the proxy agw would use, and a dead one is named', async () => {
  const harness = await startHarness({ accounts: [{ email: 'doctor-proxy@example.com' }] });
  const proxy = await startSocksProxy();
  try {
    const through = await doctor(harness.dataDir, { ...harness.environment, HTTP_PROXY: proxy.url });
    const upstream = through.checks.find((check) => check.name === 'upstream endpoint 1');
    assert.equal(upstream?.ok, true, upstream?.detail);
    assert.match(upstream?.detail ?? '', /through the environment proxy socks5:\/\/127\.0\.0\.1/);
    assert.ok(proxy.targets.length > 0, 'the proxy carried the checks');
    await proxy.close();
    const dead = await doctor(harness.dataDir, {
      ...harness.environment,
      HTTP_PROXY: withCredentials(proxy.url, 'doc', 'doctor-secret'),
    });
    const failed = dead.checks.find((check) => check.name === 'OAuth token endpoint');
    assert.equal(failed?.ok, false);
    assert.match(failed?.detail ?? '', /AGW_ACCOUNT_PROXY_FAILED|environment proxy socks5:\/\/127\.0\.0\.1:\d+ failed/);
    assert.ok(!JSON.stringify(dead.checks).includes('doctor-secret'));
  } finally {
    await proxy.close();
    await harness.close();
  }
});

test('doctor: a data directory or logs readable by other users are named, with the chmod that fixes them', async () => {
  const { chmod, mkdir, mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dataDir = await mkdtemp(join(tmpdir(), 'agw-doctor-modes-'));
  try {
    await chmod(dataDir, 0o755);
    await mkdir(join(dataDir, 'logs'), { mode: 0o755 });
    await chmod(join(dataDir, 'logs'), 0o755);
    await writeFile(join(dataDir, 'logs', 'agw.log.2026-12-01'), '{}\n', { mode: 0o644 });
    await chmod(join(dataDir, 'logs', 'agw.log.2026-12-01'), 0o644);
    const { checks } = await doctor(dataDir, {});
    const byName = new Map(checks.map((check) => [check.name, check]));
    assert.equal(byName.get('data directory')?.ok, false);
    assert.match(byName.get('data directory')?.detail ?? '', /readable by other users/);
    assert.match(byName.get('data directory')?.fix ?? '', /chmod 700/);
    assert.equal(byName.get('logs')?.ok, false);
    assert.match(byName.get('logs')?.detail ?? '', /logs\/ 755.*agw\.log\.2026-12-01 644/);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
