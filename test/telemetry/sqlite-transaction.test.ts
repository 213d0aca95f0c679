import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { inWriteTransaction } from '../../src/telemetry/sqlite-transaction.ts';

test('a write transaction commits what its work wrote, and rolls all of it back when the work throws', () => {
  const database = new DatabaseSync(':memory:');
  database.exec('CREATE TABLE rows (value INTEGER)');
  const insert = database.prepare('INSERT INTO rows (value) VALUES (?)');
  const count = () => Number((database.prepare('SELECT count(*) AS n FROM rows').get() as { n: number }).n);

  assert.equal(
    inWriteTransaction(database, () => {
      insert.run(1);
      insert.run(2);
      return 'done';
    }),
    'done',
  );
  assert.equal(count(), 2);

  assert.throws(
    () =>
      inWriteTransaction(database, () => {
        insert.run(3);
        throw new Error('half-way failure');
      }),
    /half-way failure/,
  );
  assert.equal(count(), 2, 'the row written before the failure is gone');
  assert.equal(database.isTransaction, false, 'no transaction is left open');
  database.close();
});
