import assert from 'node:assert/strict';
import { appendFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { openAccountStore } from '../../src/store/account-store.ts';
import { journalRotation, replayTokenJournal, tokenJournalName } from '../../src/store/token-journal.ts';
import { silentLogger } from '../../src/telemetry/log-port.ts';
import { tempDir } from '../support/temp-dir.ts';

const token = (refresh: string) => ({
  access_token: 'ya29.a',
  refresh_token: refresh,
  expires_in: 3599,
  expiry_timestamp: 1_900_000_000,
});

test('replay applies a rotation that never reached the account file, skips stale ones, ignores a torn line', async () => {
  const dataDir = await tempDir('agw-journal-');
  const store = openAccountStore(dataDir);
  const { account: alpha } = await store.upsert({ email: 'alpha@example.com', token: token('1//alpha-old') });
  const { account: beta } = await store.upsert({ email: 'beta@example.com', token: token('1//beta-current') });
  const rotation = { accessToken: 'ya29.b', expiresInSeconds: 3599, expiryTimestamp: 1_900_003_600 };
  await journalRotation(dataDir, {
    accountId: alpha.id,
    previousRefreshToken: '1//alpha-old',
    refreshToken: '1//alpha-new',
    ...rotation,
  });
  // Stale: beta's file no longer holds the token this entry replaced (the user re-added it meanwhile).
  await journalRotation(dataDir, {
    accountId: beta.id,
    previousRefreshToken: '1//beta-older',
    refreshToken: '1//beta-wrong',
    ...rotation,
  });
  await appendFile(join(dataDir, tokenJournalName), '{"accountId":"torn');
  assert.equal((await stat(join(dataDir, tokenJournalName))).mode & 0o777, 0o600, 'the journal holds secrets');

  assert.equal(await replayTokenJournal(store, silentLogger), 1);
  assert.equal((await store.get(alpha.id)).token.refresh_token, '1//alpha-new');
  assert.equal((await store.get(alpha.id)).token.access_token, 'ya29.b');
  assert.equal(
    (await store.get(beta.id)).token.refresh_token,
    '1//beta-current',
    'compare-and-set keeps the newer token',
  );
  await assert.rejects(() => stat(join(dataDir, tokenJournalName)), { code: 'ENOENT' });
  assert.equal(await replayTokenJournal(store, silentLogger), 0, 'nothing left to replay');
});
