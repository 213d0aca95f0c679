/**
 * Selection cost of the account pool with 10, 1,000 and 100,000 accounts (goal: < 5 µs per selection at
 * 100,000). Measures `pool.peek()` — the strategy's choice including cooldown and protection checks — in steady
 * state, with 10 % of the pool cooling down for the requested model, and with a sticky session hit.
 * Run: `npm exec -- node bench/pool-selection.ts` (prints a markdown table and a JSON line).
 */
import { createAccountPool } from '../src/pool/pool.ts';
import type { PoolStorage } from '../src/pool/ports.ts';
import { defaultPoolSettings, type SelectionStrategy } from '../src/pool/settings.ts';
import { type Account, accountSchema } from '../src/store/account-schema.ts';

const nowMs = Date.now();
const tiers = ['ULTRA', 'PRO', 'FREE', undefined];

function account(index: number): Account {
  const tier = tiers[index % tiers.length];
  return accountSchema.parse({
    id: `account-${index}`,
    email: `user${index}@example.com`,
    token: {
      access_token: `at-${index}`,
      refresh_token: `rt-${index}`,
      expires_in: 3599,
      expiry_timestamp: Math.floor(nowMs / 1000) + 86_400,
      project_id: `project-${index}`,
    },
    quota:
      tier === undefined
        ? null
        : {
            models: [{ name: 'claude-sonnet-4-6', percentage: (index * 37) % 101, reset_time: '' }],
            last_updated: 1,
            subscription_tier: tier,
          },
    created_at: 1,
    last_used: 1,
  });
}

const noStorage: PoolStorage = {
  recordRotation: async () => undefined,
  persistToken: async () => undefined,
  disable: async () => undefined,
  setValidationBlock: async () => undefined,
  clearValidationBlock: async () => undefined,
  markForbidden: async () => undefined,
  setProjectId: async () => undefined,
  setAccountError: async () => undefined,
  recordQuotaExhausted: async () => undefined,
};

const fixtures = new Map<number, Account[]>();
function accountsOf(size: number): Account[] {
  let list = fixtures.get(size);
  if (list === undefined) {
    list = Array.from({ length: size }, (_, index) => account(index));
    fixtures.set(size, list);
  }
  return list;
}

function makePool(size: number, strategy: SelectionStrategy) {
  const pool = createAccountPool({
    clock: { now: () => nowMs, sleep: async () => undefined },
    tokenClient: {
      refresh: async () => {
        throw new Error('not used');
      },
    },
    projectResolver: { resolve: async () => 'p' },
    storage: noStorage,
    settings: { ...defaultPoolSettings, strategy },
  });
  pool.load(accountsOf(size));
  return pool;
}

async function coolTenPercent(pool: ReturnType<typeof makePool>, size: number): Promise<void> {
  // Cool the best-ranked 10 % for the model, the worst case for a ranking walk.
  const count = Math.max(1, Math.floor(size / 10));
  for (let index = 0; index < count; index += 1) {
    await pool
      .execute({ model: 'claude-sonnet-4-6' }, async () => ({
        ok: false,
        failure: {
          kind: 'http',
          status: 429,
          headers: {},
          bodyText: JSON.stringify({
            error: {
              details: [{ '@type': 'x.ErrorInfo', reason: 'QUOTA_EXHAUSTED', metadata: { quotaResetDelay: '3h' } }],
            },
          }),
          committed: false,
        },
      }))
      .catch(() => undefined);
  }
}

function measure(label: string, run: () => unknown): number {
  for (let index = 0; index < 20_000; index += 1) run();
  const iterations = 200_000;
  const started = process.hrtime.bigint();
  for (let index = 0; index < iterations; index += 1) run();
  const elapsed = Number(process.hrtime.bigint() - started);
  const perCall = elapsed / iterations / 1_000;
  void label;
  return perCall;
}

const rows: { accounts: number; scenario: string; microseconds: number }[] = [];
for (const size of [10, 1_000, 100_000]) {
  accountsOf(size);
  const loadStarted = process.hrtime.bigint();
  const quotaPool = makePool(size, 'quota-aware');
  const loadMs = Number(process.hrtime.bigint() - loadStarted) / 1e6;
  rows.push({ accounts: size, scenario: `load (ms, once)`, microseconds: Math.round(loadMs * 1000) });
  rows.push({
    accounts: size,
    scenario: 'quota-aware, steady',
    microseconds: measure('qa', () => quotaPool.peek('claude-sonnet-4-6')),
  });
  const robinPool = makePool(size, 'round-robin');
  rows.push({
    accounts: size,
    scenario: 'round-robin, steady',
    microseconds: measure('rr', () => robinPool.peek('claude-sonnet-4-6')),
  });
  const stickyPool = makePool(size, 'sticky');
  await stickyPool.execute({ model: 'claude-sonnet-4-6', sessionKey: 'session' }, async () => ({ ok: true, value: 1 }));
  rows.push({
    accounts: size,
    scenario: 'sticky, session hit',
    microseconds: measure('st', () => stickyPool.peek('claude-sonnet-4-6', 'session')),
  });
  await coolTenPercent(quotaPool, Math.min(size, 1_000));
  rows.push({
    accounts: size,
    scenario: `quota-aware, ${Math.max(1, Math.floor(Math.min(size, 1_000) / 10)) * 3} cooling`,
    microseconds: measure('qa-cool', () => quotaPool.peek('claude-sonnet-4-6')),
  });
}

const lines = ['| accounts | scenario | µs per selection |', '|---:|---|---:|'];
for (const row of rows) {
  const value = row.scenario.startsWith('load')
    ? `${(row.microseconds / 1000).toFixed(1)} ms`
    : row.microseconds.toFixed(3);
  lines.push(`| ${row.accounts.toLocaleString('en-US')} | ${row.scenario} | ${value} |`);
}
process.stderr.write(`${lines.join('\n')}\n`);
process.stderr.write(`${JSON.stringify({ benchmark: 'pool-selection', node: process.version, rows })}\n`);
