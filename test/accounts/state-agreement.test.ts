/**
 * One account file, one state: the running pool, `agw accounts list --json` (another process, the file alone) and
 * the admin API (`/api/accounts`) say the same for every kind of file, including the legacy `quota_protection`
 * reason the pool serves.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFakeGoogle } from '../../src/fake-google/index.ts';
import type { Account } from '../../src/store/account-schema.ts';
import { startHarness } from '../harness/gateway-harness.ts';
import { admin } from '../integration/helpers.ts';
import { runCli } from '../support/run-cli.ts';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Each account's file is changed this way before the comparison; the expected state is the same everywhere. */
const files: Record<string, { change: (account: Account) => void; state: string }> = {
  'plain@example.com': { change: () => undefined, state: 'active' },
  'legacy@example.com': {
    change: (account) => {
      account.proxy_disabled = true;
      account.proxy_disabled_reason = 'quota_protection';
      account.proxy_disabled_at = nowSeconds();
    },
    state: 'active',
  },
  'manual@example.com': {
    change: (account) => {
      account.proxy_disabled = true;
      account.proxy_disabled_reason = 'switched off by hand';
    },
    state: 'proxy-disabled',
  },
  'dead@example.com': {
    change: (account) => {
      account.disabled = true;
      account.disabled_reason = 'invalid_grant: Token has been expired or revoked.';
    },
    state: 'disabled',
  },
  'refused@example.com': {
    change: (account) => {
      account.quota = { models: [], last_updated: nowSeconds(), is_forbidden: true, model_forwarding_rules: {} };
    },
    state: 'forbidden',
  },
  'verify@example.com': {
    change: (account) => {
      account.validation_blocked = true;
      account.validation_blocked_until = nowSeconds() + 3600;
      account.validation_url = 'https://accounts.google.com/verify';
    },
    state: 'validation-blocked',
  },
  // Enrolled while loadCodeAssist fails: no project, agw_error recorded (see the script below).
  'projectless@example.com': { change: () => undefined, state: 'project-unresolved' },
};

test('the pool, the CLI and the admin API show the same state for the same account file', async () => {
  const fake = await createFakeGoogle({ port: 0 });
  fake.control.script({
    match: { endpoint: 'loadCodeAssist', email: 'projectless@example.com' },
    times: 'always',
    action: { kind: 'error', status: 500, message: 'backend error' },
  });
  const harness = await startHarness({
    fake,
    accounts: Object.keys(files).map((email) => ({
      email,
      ...(email.startsWith('projectless') ? { projectId: null } : {}),
    })),
  });
  try {
    for (const [email, file] of Object.entries(files)) {
      await harness.store.update(harness.accounts.get(email)!.id, file.change);
    }
    await harness.gateway.services.reloadPool();

    const expected = Object.fromEntries(Object.entries(files).map(([email, file]) => [email, file.state]));
    const idToEmail = new Map([...harness.accounts.values()].map((account) => [account.id, account.email]));
    const fromPool = Object.fromEntries(
      harness.gateway.services.pool.status().map((status) => [idToEmail.get(status.id), status.state]),
    );
    const cli = await runCli(['accounts', 'list', '--json', '--data-dir', harness.dataDir], {
      env: harness.environment,
      mustSucceed: true,
    });
    const fromCli = Object.fromEntries(
      (JSON.parse(cli.stdout) as Array<{ email: string; state: string }>).map((view) => [view.email, view.state]),
    );
    const api = await admin<{ accounts: Array<{ email: string; state: string; proxy_disabled: boolean }> }>(
      harness.url,
      harness.headers,
      '/api/accounts',
    );
    const fromApi = Object.fromEntries(api.accounts.map((view) => [view.email, view.state]));

    assert.deepEqual(fromPool, expected, 'pool');
    assert.deepEqual(fromCli, expected, 'agw accounts list --json');
    assert.deepEqual(fromApi, expected, '/api/accounts');
    assert.equal(api.accounts.find((view) => view.email === 'legacy@example.com')?.proxy_disabled, false);
  } finally {
    await harness.close();
    await fake.close();
  }
});
