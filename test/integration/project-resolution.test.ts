/**
 * Issue 4: accounts without a Cloud Code project. The pool onboards an account that has none and serves with it;
 * an account whose project cannot be resolved is marked (agw_error, project-unresolved) and skipped until it
 * resolves.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFakeGoogle } from '../../src/fake-google/index.ts';
import { eventually, startHarness } from '../harness/gateway-harness.ts';
import { admin, chat, movableClock } from './helpers.ts';

interface AccountRow {
  id: string;
  email: string;
  state: string;
  error: string | null;
}

async function accountRow(url: string, headers: Record<string, string>, id: string): Promise<AccountRow | undefined> {
  const { accounts } = await admin<{ accounts: AccountRow[] }>(url, headers, '/api/accounts');
  return accounts.find((account) => account.id === id);
}

test('an account without a project is onboarded by the pool on first use and then serves', async () => {
  const fake = await createFakeGoogle({ port: 0 });
  // Enrolment cannot resolve the project (one failed loadCodeAssist), so the account is stored without one.
  fake.control.script({
    match: { endpoint: 'loadCodeAssist', email: 'new@example.com' },
    action: { kind: 'error', status: 500, message: 'backend error' },
  });
  const harness = await startHarness({ fake, accounts: [{ email: 'new@example.com', projectId: null }] });
  try {
    const account = harness.accounts.get('new@example.com')!;
    assert.equal(account.token.project_id ?? null, null, 'stored without a project');
    assert.equal(fake.control.account('new@example.com')!.projectId(), null);

    const result = await chat(harness.url, harness.headers, 'first request of a new account');
    assert.equal(result.status, 200, result.text);
    assert.equal(fake.control.calls({ endpoint: 'onboardUser', email: 'new@example.com' }).length, 1);
    const projectId = fake.control.account('new@example.com')!.projectId();
    assert.match(projectId ?? '', /^fake-project-/);
    const generate = fake.control.calls({ endpoint: 'streamGenerateContent', email: 'new@example.com' });
    assert.equal(generate.length, 1);
    assert.equal(
      (generate[0]?.body as { project?: string } | undefined)?.project,
      projectId,
      'served with the new project',
    );
    const stored = await eventually(async () => {
      const current = await harness.store.get(account.id);
      return current.token.project_id ? current : undefined;
    });
    assert.equal(stored.token.project_id, projectId);
    assert.equal(stored.agw_error ?? null, null, 'the enrolment error is cleared');
  } finally {
    await harness.close();
    await fake.close();
  }
});

test('an unresolvable project marks the account (agw_error, project-unresolved), skips it, and it recovers once resolvable', async () => {
  const clock = movableClock();
  const fake = await createFakeGoogle({ port: 0 });
  const broken = fake.control.script({
    match: { endpoint: 'loadCodeAssist', email: 'stuck@example.com' },
    times: 'always',
    action: { kind: 'error', status: 500, message: 'backend error' },
  });
  const harness = await startHarness({
    fake,
    clock,
    accounts: [
      { email: 'stuck@example.com', projectId: null, tier: 'ULTRA' },
      { email: 'fine@example.com', tier: 'FREE' },
    ],
  });
  try {
    const stuck = harness.accounts.get('stuck@example.com')!;
    const lookups = () => fake.control.calls({ endpoint: 'loadCodeAssist', email: 'stuck@example.com' }).length;
    const atStart = lookups();
    // Whichever account the selector picks first, every request is served; ask until the pool tried the stuck one.
    await eventually(async () => {
      const result = await chat(harness.url, harness.headers, `request ${Math.random()}`);
      assert.equal(result.status, 200, result.text);
      return lookups() > atStart ? true : undefined;
    });
    const row = await eventually(async () => {
      const current = await accountRow(harness.url, harness.headers, stuck.id);
      return current?.state === 'project-unresolved' ? current : undefined;
    });
    assert.match(row.error ?? '', /project/i, `a clear error: ${row.error}`);
    const stored = await eventually(async () => {
      const current = await harness.store.get(stuck.id);
      return current.agw_error ? current : undefined;
    });
    assert.match(stored.agw_error!, /[Pp]roject.*(could not be resolved|Could not resolve)|Could not resolve.*project/);
    assert.equal(stored.disabled, false);

    // Skipped while marked: more requests, no new lookup, all served by the other account.
    const lookupsWhileMarked = lookups();
    const servedBefore = fake.control.calls({ endpoint: 'streamGenerateContent', email: 'stuck@example.com' }).length;
    for (let index = 0; index < 5; index += 1) {
      const result = await chat(harness.url, harness.headers, `skipped ${index}`);
      assert.equal(result.status, 200, result.text);
    }
    assert.equal(lookups(), lookupsWhileMarked);
    assert.equal(
      fake.control.calls({ endpoint: 'streamGenerateContent', email: 'stuck@example.com' }).length,
      servedBefore,
    );

    // Google heals; after the retry backoff the account resolves (onboarding) and serves.
    broken.cancel();
    clock.advance(2 * 3600);
    const fine = harness.accounts.get('fine@example.com')!;
    const off = await fetch(`${harness.url}/api/accounts/${fine.id}/proxy`, {
      method: 'POST',
      headers: { ...harness.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: false }),
    });
    assert.equal(off.status, 200);
    const healed = await chat(harness.url, harness.headers, 'after the project resolves');
    assert.equal(healed.status, 200, healed.text);
    assert.equal(fake.control.calls({ endpoint: 'streamGenerateContent' }).at(-1)?.email, 'stuck@example.com');
    const recovered = await eventually(async () => {
      const current = await harness.store.get(stuck.id);
      return current.token.project_id && !current.agw_error ? current : undefined;
    });
    assert.equal(recovered.token.project_id, fake.control.account('stuck@example.com')!.projectId());
    assert.equal((await accountRow(harness.url, harness.headers, stuck.id))?.state, 'active');
  } finally {
    await harness.close();
    await fake.close();
  }
});
