import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createEntry } from '../../src/pool/account-entry.ts';
import { normalizeModelKey } from '../../src/pool/model-key.ts';
import { pickQuotaAware, rankForModel } from '../../src/pool/strategies/quota-aware.ts';
import { RoundRobinCursor } from '../../src/pool/strategies/round-robin.ts';
import { StickySessions } from '../../src/pool/strategies/sticky-sessions.ts';
import { createTestPool, httpFailure, makeAccount, ok, quotaExhausted, startMs, withTier } from './helpers.ts';

const entry = (id: string, tier: string, percentages: Record<string, number> = {}) =>
  createEntry(makeAccount(id, withTier(tier, percentages)), new Set());

describe('quota-aware', () => {
  test('tier is strict: a Pro account with full quota never beats an Ultra account with little', () => {
    const ranked = rankForModel(
      [
        entry('free', 'FREE', { claude: 100 }),
        entry('pro', 'PRO', { claude: 100 }),
        entry('ultra', 'ULTRA', { claude: 3 }),
      ],
      'claude',
      50,
    );
    for (let index = 0; index < 50; index += 1) {
      const chosen = pickQuotaAware(
        ranked,
        'claude',
        () => true,
        () => index / 50,
        5,
        50,
      );
      assert.equal(chosen?.id, 'ultra');
    }
    const withoutUltra = pickQuotaAware(ranked, 'claude', (candidate) => candidate.id !== 'ultra', Math.random, 5, 50);
    assert.equal(withoutUltra?.id, 'pro');
  });

  test('ranks by the REQUESTED model, and accounts without quota data are selectable', () => {
    const ranked = rankForModel(
      [
        entry('a', 'PRO', { 'gemini-3-flash': 100, 'claude-sonnet-4-6': 10 }),
        entry('b', 'PRO', { 'claude-opus': 90 }),
        entry('c', 'PRO'),
      ],
      'claude',
      50,
    );
    assert.deepEqual(
      ranked.map((candidate) => candidate.id),
      ['b', 'c', 'a'],
    );
    const onlyUnknown = pickQuotaAware(ranked, 'claude', (candidate) => candidate.id === 'c', Math.random, 5, 50);
    assert.equal(onlyUnknown?.id, 'c');
  });

  test('power of two choices spreads load over the best few of the same tier', () => {
    const ranked = rankForModel(
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => entry(id, 'PRO', { claude: 80 })),
      'claude',
      50,
    );
    let seed = 7;
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const chosen = new Set<string>();
    for (let index = 0; index < 200; index += 1)
      chosen.add(pickQuotaAware(ranked, 'claude', () => true, random, 5, 50)?.id ?? '');
    assert.deepEqual([...chosen].sort(), ['a', 'b', 'c', 'd', 'e']);
  });
});

test('round-robin visits every selectable account in turn', () => {
  const order = ['a', 'b', 'c'].map((id) => entry(id, 'PRO'));
  const cursor = new RoundRobinCursor();
  const picks = Array.from({ length: 6 }, () => cursor.pick(order, (candidate) => candidate.id !== 'b')?.id);
  assert.deepEqual(picks, ['a', 'c', 'a', 'c', 'a', 'c']);
  assert.equal(
    cursor.pick(order, () => false),
    undefined,
  );
});

test('sticky sessions: TTL and size cap keep the map bounded', () => {
  const sessions = new StickySessions();
  for (let index = 0; index < 50; index += 1) sessions.bind(`s${index}`, 'a', index, 10);
  assert.equal(sessions.size, 10);
  assert.equal(sessions.lookup('s0', 50, 1_000), undefined);
  assert.equal(sessions.lookup('s49', 50, 1_000), 'a');
  assert.equal(sessions.lookup('s49', 2_000, 1_000), undefined);
  assert.ok(sessions.size < 10);
});

test('model keys are normalised like the reference', () => {
  const table: [string, string][] = [
    ['claude-opus-4-6-thinking', 'claude'],
    ['claude-sonnet-4-6', 'claude'],
    ['gemini-2.5-flash-lite', 'gemini-3-flash'],
    ['gemini-3.1-flash-image', 'gemini-3.1-flash-image'],
    ['gemini-3-pro-image-preview', 'gemini-3-pro-image'],
    ['gemini-3-pro-low', 'gemini-3-pro-high'],
    ['GPT-OSS-120B', 'gpt-oss-120b'],
  ];
  for (const [input, expected] of table) assert.equal(normalizeModelKey(input), expected, input);
});

describe('load', () => {
  test('order and logging: disabled first, then quota protection, then proxy_disabled; legacy quota_protection migrates', () => {
    const { pool, logger } = createTestPool({
      quotaProtection: { enabled: true, thresholdPercentage: 10, monitoredModels: ['claude'] },
    });
    pool.load([
      makeAccount('both', { disabled: true, proxy_disabled: true, proxy_disabled_reason: 'manual' }),
      makeAccount('manual', { proxy_disabled: true, proxy_disabled_reason: 'user' }),
      makeAccount('legacy', {
        proxy_disabled: true,
        proxy_disabled_reason: 'quota_protection',
        ...withTier('PRO', { 'claude-sonnet-4-6': 3 }),
      }),
      makeAccount('forbidden', { quota: { models: [], last_updated: 1, is_forbidden: true } }),
    ]);
    const messages = logger.lines.map((line) => line.message);
    assert.ok(messages.some((message) => message.startsWith('Skipping disabled account: both@example.com')));
    assert.ok(
      !messages.some((message) => message.includes('manual disable: both@example.com')),
      'disabled judged first',
    );
    assert.ok(messages.includes('Account skipped due to manual disable: manual@example.com'));
    const states = Object.fromEntries(pool.status().map((account) => [account.id, account.state]));
    assert.deepEqual(states, { both: 'disabled', manual: 'proxy-disabled', legacy: 'active', forbidden: 'forbidden' });
    assert.deepEqual(pool.status().find((account) => account.id === 'legacy')?.protectedModels, ['claude']);
  });

  test('an expired validation block is cleared through the store; a running one holds the account back', () => {
    const { pool, storage } = createTestPool();
    const nowUnix = Math.floor(startMs / 1000);
    pool.load([
      makeAccount('old', { validation_blocked: true, validation_blocked_until: nowUnix - 5 }),
      makeAccount('new', {
        validation_blocked: true,
        validation_blocked_until: nowUnix + 600,
        validation_url: 'https://v.example',
      }),
    ]);
    assert.deepEqual(storage.of('clearValidationBlock')[0]?.args, ['old']);
    const blocked = pool.status().find((account) => account.id === 'new');
    assert.equal(blocked?.state, 'validation-blocked');
    assert.equal(blocked?.url, 'https://v.example');
    assert.equal(pool.peek('claude'), 'old');
  });

  test('a reload keeps cooldowns and sessions of accounts that remain, and drops removed accounts', async () => {
    const { pool } = createTestPool();
    pool.load([makeAccount('a'), makeAccount('b'), makeAccount('c')]);
    const bound = await pool.execute({ model: 'claude', sessionKey: 's' }, async (lease) => ok(lease.accountId));
    await pool
      .execute({ model: 'gemini-3-flash' }, async () => httpFailure(429, quotaExhausted('1h')))
      .catch(() => undefined);
    assert.equal(pool.status().filter((account) => account.cooldowns.length > 0).length, 3);
    pool.load([makeAccount('a'), makeAccount('b'), makeAccount('c'), makeAccount('d')]);
    assert.equal(await pool.execute({ model: 'claude', sessionKey: 's' }, async (lease) => ok(lease.accountId)), bound);
    const cooled = pool
      .status()
      .filter((account) => account.cooldowns.some((cooldown) => cooldown.model === 'gemini-3-flash'));
    assert.deepEqual(cooled.map((account) => account.id).sort(), ['a', 'b', 'c']);
    assert.equal(await pool.execute({ model: 'gemini-3-flash' }, async (lease) => ok(lease.accountId)), 'd');
    pool.load([makeAccount('d')]);
    assert.equal(pool.size, 1);
    assert.equal(await pool.execute({ model: 'claude', sessionKey: 's' }, async (lease) => ok(lease.accountId)), 'd');
  });

  test('updateSettings applies at once (hot reload)', async () => {
    const { pool } = createTestPool({ strategy: 'sticky' });
    pool.load([makeAccount('a'), makeAccount('b'), makeAccount('c')]);
    pool.updateSettings({ ...pool.settings, strategy: 'round-robin' });
    const picks: string[] = [];
    for (let index = 0; index < 6; index += 1)
      picks.push(await pool.execute({ model: 'x' }, async (lease) => ok(lease.accountId)));
    assert.deepEqual(picks, ['a', 'b', 'c', 'a', 'b', 'c']);
  });
});
