/**
 * Closing the gateway waits for what a seen account change set off. An account added by another process gets its
 * first quota snapshot right away (runtime.ts's watcher); if close() returned while that was still on its way, the
 * round would run after the gateway closed and write into a data directory its owner may already be removing
 * (`agw demo` removes its own on Ctrl-C and failed with ENOTEMPTY when this raced).
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGoogleClients } from '../../src/google/clients.ts';
import { enrollAccount } from '../../src/google/enroll-account.ts';
import { openAccountStore } from '../../src/store/account-store.ts';
import { eventually, startHarness } from '../harness/gateway-harness.ts';

test('close() carries a seen account change through before it resolves, and nothing runs after it', async () => {
  const harness = await startHarness({ accounts: [{ email: 'first@example.com', tier: 'PRO' }], quotaRefresh: true });
  try {
    // Another process (its own store and clients) adds an account while the gateway runs.
    const other = openAccountStore(harness.dataDir);
    const google = createGoogleClients(harness.config);
    const refreshToken = '1//added-by-another-process';
    harness.fake.control.addAccount({ email: 'added@example.com', refreshToken, tier: 'ULTRA' });

    // Close the moment the gateway announces the new account: its reaction has reloaded the pool and is about to
    // ask for the first quota snapshot.
    // Any account but the first one is the added one (its id is known only once enrolment returns, which may be
    // after the gateway saw the file).
    const firstId = harness.accounts.get('first@example.com')!.id;
    let closing: Promise<void> | undefined;
    const stopListening = harness.gateway.services.events.subscribe((event) => {
      if (closing !== undefined || event.type !== 'account' || event.accountId === firstId) return;
      closing = harness.gateway.close();
    });
    const enrolled = await enrollAccount(refreshToken, google, other);
    const addedId = enrolled.account.id;
    await google.close();
    await eventually(() => (closing === undefined ? undefined : true), 15_000, 'the gateway announcing the account');
    await closing;
    stopListening();
    const linesAtClose = harness.logLines.length;

    const stored = await other.get(addedId);
    assert.match(stored.quota?.subscription_tier ?? '', /Ultra/, 'the first snapshot was taken before close resolved');
    // Give anything left behind time to show itself: a round still running would log its outcome.
    await sleep(300);
    assert.deepEqual(
      harness.logLines.slice(linesAtClose).map((line) => line.message),
      [],
      'nothing ran after close resolved',
    );
  } finally {
    await harness.fake.close();
    await rm(harness.dataDir, { recursive: true, force: true });
  }
});
