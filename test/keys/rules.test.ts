/**
 * The pure rules of user keys: the key secret, model globs, address ranges, the settings parser, the sliding
 * minute window and the daily token ledger (fake clocks; nothing sleeps).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../src/errors/catalogue.ts';
import { addressMatcher, addressRangeProblem } from '../../src/keys/address-range.ts';
import { generateUserKey, hashUserKey, keyHint } from '../../src/keys/key-secret.ts';
import { createDailyTokens, createMinuteWindows, secondsUntilNextUtcDay, utcDayStart } from '../../src/keys/limits.ts';
import { modelMatcher, modelPatternProblem } from '../../src/keys/model-pattern.ts';
import { keyState, parseKeySpec, refusalOf, type UserKeyRecord } from '../../src/keys/user-key.ts';
import { scrubText } from '../../src/telemetry/redaction.ts';

test('a user key is 256 random bits behind sk-agw-, stored as SHA-256, shown only as a hint, scrubbed from text', () => {
  const key = generateUserKey();
  assert.match(key, /^sk-agw-[A-Za-z0-9_-]{43}$/);
  assert.notEqual(generateUserKey(), key);
  assert.match(hashUserKey(key), /^[0-9a-f]{64}$/);
  assert.equal(hashUserKey(key), hashUserKey(key));
  assert.equal(keyHint(key), `sk-agw-…${key.slice(-4)}`);
  assert.ok(!scrubText(`model ${key} not found`).includes(key), 'the log scrubber removes a pasted key');
});

test('model patterns: exact names and * globs, case-insensitive, models/ prefix ignored, regex characters literal', () => {
  const matcher = modelMatcher(['gemini-*', 'claude-sonnet-4-5', '*flash*']);
  assert.equal(matcher.allows('gemini-3-pro'), true);
  assert.equal(matcher.allows('models/gemini-3-pro'), true);
  assert.equal(matcher.allows('Claude-Sonnet-4-5'), true);
  assert.equal(matcher.allows('claude-sonnet-4-5-thinking'), false);
  assert.equal(matcher.allows('gpt-4o-flash-mini'), true);
  assert.equal(matcher.allows('claude-opus-4-5'), false);
  assert.equal(modelMatcher(['gpt-4.1']).allows('gpt-4x1'), false, 'a dot is a dot, not any character');
  assert.equal(modelMatcher([]).allows('anything'), false);
  assert.equal(modelPatternProblem('gemini-*'), undefined);
  assert.match(modelPatternProblem('gemini (.+)') ?? '', /may hold only/);
});

test('address ranges: IPv4 and IPv6 addresses and CIDRs; an IPv4-mapped peer counts as IPv4', () => {
  const matcher = addressMatcher(['192.168.1.0/24', '10.1.2.3', 'fd00::/8', '::1']);
  assert.equal(matcher.allows('192.168.1.77'), true);
  assert.equal(matcher.allows('192.168.2.1'), false);
  assert.equal(matcher.allows('10.1.2.3'), true);
  assert.equal(matcher.allows('10.1.2.4'), false);
  assert.equal(matcher.allows('::ffff:192.168.1.5'), true, 'dual-stack sockets report IPv4 peers this way');
  assert.equal(matcher.allows('::ffff:10.1.2.3'), true);
  assert.equal(matcher.allows('fd12:3456::1'), true);
  assert.equal(matcher.allows('fe80::1'), false);
  assert.equal(matcher.allows('::1'), true);
  assert.equal(matcher.allows('127.0.0.1'), false);
  assert.equal(matcher.allows('not an address'), false);
  assert.equal(addressMatcher(['127.0.0.1']).allows('::ffff:127.0.0.1'), true);
  for (const good of ['1.2.3.4', '1.2.3.0/24', '0.0.0.0/0', '::/0', '2001:db8::/32', '::1'])
    assert.equal(addressRangeProblem(good), undefined, good);
  for (const bad of ['1.2.3', '1.2.3.4/33', '2001:db8::/129', 'example.com', '1.2.3.4/8/1', '1.2.3.4/x'])
    assert.match(addressRangeProblem(bad) ?? '', /not an IP address or CIDR range/, bad);
});

test('key settings: durations, dates and never; lists; every problem reported at once', () => {
  const now = Date.parse('2026-12-04T12:00:00Z');
  const spec = parseKeySpec(
    {
      name: 'alice',
      expires: '30d',
      models: 'gemini-*, claude-*',
      requestsPerMinute: '5',
      tokensPerDay: 1000,
      ips: ['10.0.0.0/8'],
    },
    now,
  );
  assert.deepEqual(spec, {
    name: 'alice',
    expiresAt: now + 30 * 86_400_000,
    models: ['gemini-*', 'claude-*'],
    requestsPerMinute: 5,
    tokensPerDay: 1000,
    ips: ['10.0.0.0/8'],
  });
  assert.equal(parseKeySpec({ name: 'b', expires: '12h' }, now).expiresAt, now + 12 * 3_600_000);
  assert.equal(parseKeySpec({ name: 'b', expires: '2w' }, now).expiresAt, now + 14 * 86_400_000);
  assert.equal(parseKeySpec({ name: 'b', expires: '2027-01-31' }, now).expiresAt, Date.parse('2027-01-31'));
  assert.equal(parseKeySpec({ name: 'b', expires: 'never' }, now).expiresAt, null);
  assert.equal(parseKeySpec({ name: 'b' }, now).models, null);
  try {
    parseKeySpec(
      {
        name: '',
        expires: '2020-01-01',
        models: ['bad pattern'],
        requestsPerMinute: 0,
        tokensPerDay: 'lots',
        ips: 'x',
      },
      now,
    );
    assert.fail('must throw');
  } catch (error) {
    assert.ok(GatewayError.is(error));
    assert.equal(error.code, 'AGW_INVALID_REQUEST');
    for (const part of ['name', 'in the past', 'bad pattern', 'requests per minute', 'tokens per day', '"x"'])
      assert.ok(error.message.includes(part), `${part} in: ${error.message}`);
  }
  assert.throws(() => parseKeySpec({ name: 'c', expires: 'soon' }, now), /not understood/);
  assert.throws(() => parseKeySpec({ name: 'key_123' }, now), /may not start with key_/);
});

function record(overrides: Partial<UserKeyRecord> = {}): UserKeyRecord {
  return {
    id: 'key_1',
    name: 'alice',
    hash: 'h',
    hint: 'sk-agw-…abcd',
    createdAt: 0,
    lastUsedAt: null,
    expiresAt: null,
    models: null,
    requestsPerMinute: null,
    tokensPerDay: null,
    ips: null,
    revokedAt: null,
    ...overrides,
  };
}

test('a known key is refused when revoked (401), expired (401) or used from another address (403), in that order', () => {
  const now = 10_000;
  assert.equal(refusalOf(record(), { now, addressAllowed: true }), undefined);
  const revoked = refusalOf(record({ revokedAt: 5, expiresAt: 1 }), { now, addressAllowed: false });
  assert.equal(revoked?.code, 'AGW_KEY_REVOKED');
  assert.equal(revoked?.status, 401);
  const expired = refusalOf(record({ expiresAt: now }), { now, addressAllowed: false });
  assert.equal(expired?.code, 'AGW_KEY_EXPIRED');
  assert.equal(expired?.status, 401);
  const address = refusalOf(record(), { now, addressAllowed: false });
  assert.equal(address?.code, 'AGW_KEY_IP_NOT_ALLOWED');
  assert.equal(address?.status, 403);
  assert.equal(keyState(record({ expiresAt: now + 1 }), now), 'active');
  assert.equal(keyState(record({ expiresAt: now }), now), 'expired');
  assert.equal(keyState(record({ revokedAt: 1 }), now), 'revoked');
});

test('requests per minute: a sliding window; a refused request is not counted; Retry-After is when the oldest leaves', () => {
  let now = 1_000_000;
  const windows = createMinuteWindows(() => now);
  assert.equal(windows.take('a', 2), 0);
  now += 10_000;
  assert.equal(windows.take('a', 2), 0);
  now += 5_000;
  assert.equal(windows.take('a', 2), 45, 'the first request leaves the window 45 s from now');
  assert.equal(windows.take('b', 2), 0, 'keys have their own windows');
  now += 45_000;
  assert.equal(windows.take('a', 2), 0, 'the first request left the window');
  assert.equal(windows.take('a', 2), 10, 'the second leaves 10 s later; the refused ones never counted');
  windows.retain(new Set(['b']));
  assert.equal(windows.take('a', 2), 0, 'a forgotten key starts afresh');
});

test('tokens per day: seeded once per UTC day from the log, then counted; a new day starts from its own seed', () => {
  let now = Date.parse('2026-12-04T23:00:00Z');
  const seeds: number[] = [];
  const daily = createDailyTokens({
    now: () => now,
    usedToday: (dayStart) => {
      seeds.push(dayStart);
      return new Map([['a', dayStart === utcDayStart(Date.parse('2026-12-04T00:00:00Z')) ? 700 : 5]]);
    },
  });
  daily.add('a', 50, now);
  assert.equal(daily.used('a'), 700, 'a request before the seed is in the seed (the log), not counted twice');
  daily.add('a', 100, now);
  assert.equal(daily.used('a'), 800);
  assert.equal(daily.used('b'), 0);
  assert.equal(seeds.length, 1);
  daily.add('a', 100, Date.parse('2026-12-03T23:59:00Z'));
  assert.equal(daily.used('a'), 800, 'a request that started yesterday counts for yesterday');
  now = Date.parse('2026-12-05T00:00:01Z');
  assert.equal(daily.used('a'), 5);
  assert.equal(seeds.length, 2);
  assert.equal(secondsUntilNextUtcDay(Date.parse('2026-12-05T23:59:30Z')), 30);
  assert.equal(secondsUntilNextUtcDay(Date.parse('2026-12-05T00:00:00Z')), 86_400);
});
