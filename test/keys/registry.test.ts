/**
 * The in-memory key registry over an in-memory source and a fake clock: lookups never reach the store while the
 * key is known, a key created elsewhere is found on its first use, revocations are seen on refresh, limits answer
 * 429 with Retry-After, last-used times are written in batches.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createKeyRegistry, type KeySource } from '../../src/keys/key-registry.ts';
import { generateKeyId, generateUserKey, hashUserKey, keyHint } from '../../src/keys/key-secret.ts';
import type { UserKeyRecord, UserKeySpec } from '../../src/keys/user-key.ts';

function memorySource() {
  const records: UserKeyRecord[] = [];
  let generation = 0;
  const calls = { generation: 0, list: 0, touch: [] as Array<Map<string, number>> };
  const source: KeySource & { calls: typeof calls; add(spec: Partial<UserKeySpec>, now?: number): string } = {
    calls,
    create(spec: UserKeySpec, now: number) {
      const key = generateUserKey();
      const record: UserKeyRecord = {
        ...spec,
        id: generateKeyId(),
        hash: hashUserKey(key),
        hint: keyHint(key),
        createdAt: now,
        lastUsedAt: null,
        revokedAt: null,
      };
      records.unshift(record);
      generation += 1;
      return { record, key };
    },
    /** A key made "by another process": the registry only learns of it through the generation. */
    add(spec, now = 0) {
      return source.create(
        { name: 'x', expiresAt: null, models: null, requestsPerMinute: null, tokensPerDay: null, ips: null, ...spec },
        now,
      ).key;
    },
    list() {
      calls.list += 1;
      return records.map((record) => ({ ...record }));
    },
    revoke(idOrName: string, now: number) {
      const found = records.find((record) => record.id === idOrName || record.name === idOrName);
      if (!found) throw new Error('none');
      found.revokedAt = now;
      generation += 1;
      return { ...found };
    },
    touch(lastUsed) {
      calls.touch.push(new Map(lastUsed));
    },
    generation() {
      calls.generation += 1;
      return generation;
    },
  };
  return source;
}

function setUp(usedToday: ReadonlyMap<string, number> = new Map()) {
  let now = Date.parse('2026-12-04T12:00:00Z');
  const source = memorySource();
  const registry = createKeyRegistry({ source, now: () => now, usedToday: () => usedToday });
  return {
    source,
    registry,
    advance(ms: number) {
      now += ms;
    },
    now: () => now,
  };
}

test('with no user keys a presented key costs no store read unless a reload on miss is asked for', () => {
  const { source, registry } = setUp();
  const before = { ...source.calls };
  assert.deepEqual(registry.authenticate('sk-anything', '127.0.0.1', { reloadOnMiss: false }), { kind: 'unknown' });
  assert.equal(source.calls.generation, before.generation);
  assert.deepEqual(registry.authenticate('sk-anything', '127.0.0.1', { reloadOnMiss: true }), { kind: 'unknown' });
  assert.equal(source.calls.generation, before.generation + 1, 'one counter read');
  assert.equal(source.calls.list, before.list, 'and no table read while nothing changed');
});

test('a key created by another process is accepted on its first use; a known key never reads the store', () => {
  const { source, registry } = setUp();
  const key = source.add({ name: 'alice' });
  const first = registry.authenticate(key, '127.0.0.1', { reloadOnMiss: true });
  assert.equal(first.kind, 'accepted');
  const reads = { ...source.calls };
  for (let index = 0; index < 5; index += 1) {
    assert.equal(registry.authenticate(key, '127.0.0.1', { reloadOnMiss: true }).kind, 'accepted');
  }
  assert.equal(source.calls.generation, reads.generation);
  assert.equal(source.calls.list, reads.list);
});

test('a revocation made elsewhere is seen at the next refresh; one made through the registry at once', () => {
  const { source, registry } = setUp();
  const alice = registry.create({ name: 'alice' });
  const bob = registry.create({ name: 'bob' });
  assert.equal(registry.authenticate(alice.key, '::1', { reloadOnMiss: true }).kind, 'accepted');
  source.revoke(alice.record.id, 1);
  assert.equal(
    registry.authenticate(alice.key, '::1', { reloadOnMiss: true }).kind,
    'accepted',
    'cached until refresh',
  );
  assert.equal(registry.refresh(), true);
  const refused = registry.authenticate(alice.key, '::1', { reloadOnMiss: true });
  assert.equal(refused.kind, 'refused');
  assert.equal(refused.kind === 'refused' && refused.error.code, 'AGW_KEY_REVOKED');
  assert.equal(refused.kind === 'refused' && refused.badCredential, true);
  registry.revoke('bob');
  const bobRefused = registry.authenticate(bob.key, '::1', { reloadOnMiss: false });
  assert.equal(bobRefused.kind === 'refused' && bobRefused.error.code, 'AGW_KEY_REVOKED');
  assert.equal(registry.refresh(), false, 'nothing changed since');
});

test('expiry and allowed addresses are judged at each request with the injected clock', () => {
  const { registry, advance, now } = setUp();
  const { key } = registry.create({ name: 'temp', expires: '1h', ips: '10.0.0.0/8' });
  assert.equal(registry.authenticate(key, '10.2.3.4', { reloadOnMiss: true }).kind, 'accepted');
  const wrongAddress = registry.authenticate(key, '192.168.0.1', { reloadOnMiss: true });
  assert.equal(wrongAddress.kind === 'refused' && wrongAddress.error.code, 'AGW_KEY_IP_NOT_ALLOWED');
  assert.equal(wrongAddress.kind === 'refused' && wrongAddress.badCredential, false);
  advance(3_600_000);
  const expired = registry.authenticate(key, '10.2.3.4', { reloadOnMiss: true });
  assert.equal(expired.kind === 'refused' && expired.error.code, 'AGW_KEY_EXPIRED');
  assert.ok(now() > 0);
});

test('requests per minute answer AGW_KEY_RATE_LIMITED with the wait; tokens per day AGW_KEY_TOKEN_LIMIT until 00:00 UTC', () => {
  const { registry, advance } = setUp(new Map());
  const { key } = registry.create({ name: 'busy', requestsPerMinute: 2, tokensPerDay: 100 });
  const known = registry.authenticate(key, '::1', { reloadOnMiss: true });
  assert.ok(known.kind === 'accepted');
  assert.equal(registry.admit(known.key), undefined);
  advance(20_000);
  assert.equal(registry.admit(known.key), undefined);
  const limited = registry.admit(known.key);
  assert.equal(limited?.code, 'AGW_KEY_RATE_LIMITED');
  assert.equal(limited?.status, 429);
  assert.equal(limited?.retryAfterSeconds, 40);
  advance(40_000);
  assert.equal(registry.admit(known.key), undefined);

  registry.recordUsage(known.key.record.id, 60, Date.parse('2026-12-04T12:01:00Z'));
  assert.equal(registry.tokensToday(known.key.record.id), 60);
  registry.recordUsage(known.key.record.id, 40, Date.parse('2026-12-04T12:01:00Z'));
  advance(60_000);
  const spent = registry.admit(known.key);
  assert.equal(spent?.code, 'AGW_KEY_TOKEN_LIMIT');
  assert.equal(spent?.retryAfterSeconds, 12 * 3600 - 120, 'seconds to the next UTC midnight');
});

test('allowed models: a named model that matches passes; another or none is AGW_KEY_MODEL_NOT_ALLOWED; no list allows all', () => {
  const { registry } = setUp();
  const limited = registry.create({ name: 'gem', models: ['gemini-*'] });
  const open = registry.create({ name: 'open' });
  const check = (key: string) => {
    const known = registry.authenticate(key, '::1', { reloadOnMiss: true });
    assert.ok(known.kind === 'accepted');
    return known.key;
  };
  assert.equal(registry.modelRefusal(check(limited.key), 'gemini-3-flash'), undefined);
  const other = registry.modelRefusal(check(limited.key), 'claude-sonnet-4-5');
  assert.equal(other?.code, 'AGW_KEY_MODEL_NOT_ALLOWED');
  assert.equal(other?.status, 403);
  assert.match(other?.message ?? '', /gemini-\*/);
  assert.match(registry.modelRefusal(check(limited.key), undefined)?.message ?? '', /name one of them/);
  assert.equal(registry.modelRefusal(check(open.key), 'anything'), undefined);
});

test('last-used times are kept in memory and written in one batch on refresh', () => {
  const { source, registry, advance, now } = setUp();
  const { key, record } = registry.create({ name: 'used' });
  registry.authenticate(key, '::1', { reloadOnMiss: true });
  advance(5000);
  registry.authenticate(key, '::1', { reloadOnMiss: true });
  assert.equal(source.calls.touch.length, 0);
  registry.refresh();
  assert.deepEqual(source.calls.touch, [new Map([[record.id, now()]])]);
  registry.refresh();
  assert.equal(source.calls.touch.length, 1, 'nothing pending, nothing written');
});
