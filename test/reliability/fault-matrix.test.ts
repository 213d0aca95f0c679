/**
 * The fault matrix: every upstream fault the fake Google can script, for every protocol, streaming and not.
 * For each case the client gets a correct answer or a correct error in its own dialect, the number of upstream
 * generate calls stays within the rotation bound, and the data directory is intact with accounts disabled only
 * after invalid_grant.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FakeGoogle } from '../../src/fake-google/index.ts';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';
import {
  answerText,
  assertDataDirIntact,
  assertDialectError,
  clientCall,
  inBandError,
  type Protocol,
  protocols,
  send,
} from './helpers.ts';

const poolSize = 3;
const maxAttempts = 3;
/** The rotation bound: attempts ≤ min(agw.max_attempts, pool size + 1). */
const attemptBound = Math.min(maxAttempts, poolSize + 1);

type Expectation =
  /** A complete answer, HTTP 200. */
  | { kind: 'answer' }
  /** An HTTP error in the dialect with one of these statuses (streams fail before the commit point here). */
  | { kind: 'error'; statuses: number[] }
  /** A stream that committed and then failed: HTTP 200, an in-band error event in the dialect. */
  | { kind: 'answer-or-in-band-error' };

interface FaultCase {
  name: string;
  /** Accounts start with expired access tokens, so every request refreshes first. */
  expired?: boolean;
  /** v1internal bases the gateway is given, by name. */
  endpoints?: (fake: FakeGoogle) => string[];
  /** How many configured endpoints one attempt may walk through (bounds generate calls per attempt). */
  endpointsPerAttempt?: number;
  arrange(fake: FakeGoogle): void;
  expect: (stream: boolean) => Expectation;
  /** Whether the accounts end disabled (only ever after invalid_grant). */
  disables?: boolean;
}

const generateEndpoints = ['generateContent', 'streamGenerateContent'] as const;

const cases: FaultCase[] = [
  {
    name: 'connection refused on the first endpoint, fallback to the second',
    endpoints: (fake) => [fake.urls.v1internalRefused, fake.urls.v1internal],
    endpointsPerAttempt: 2,
    arrange: () => {},
    expect: () => ({ kind: 'answer' }),
  },
  {
    name: 'first endpoint unreachable (every connection reset), fallback to the second',
    endpoints: (fake) => [fake.urls.v1internal, fake.urls.v1internalAlt1],
    endpointsPerAttempt: 2,
    arrange: (fake) => fake.control.failBase('primary', 'reset'),
    expect: () => ({ kind: 'answer' }),
  },
  {
    name: 'first endpoint answers 503 for everything, fallback to the second',
    endpoints: (fake) => [fake.urls.v1internal, fake.urls.v1internalAlt1],
    endpointsPerAttempt: 2,
    arrange: (fake) => fake.control.failBase('primary', { status: 503 }),
    expect: () => ({ kind: 'answer' }),
  },
  {
    name: 'reset before headers (once)',
    arrange: (fake) =>
      fake.control.script({ match: { endpoint: [...generateEndpoints] }, action: { kind: 'reset-before-headers' } }),
    expect: () => ({ kind: 'answer' }),
  },
  {
    name: 'reset before the first frame (once)',
    arrange: (fake) =>
      fake.control.script({
        match: { endpoint: [...generateEndpoints] },
        action: { kind: 'reset-after-chunks', chunks: 0 },
      }),
    expect: () => ({ kind: 'answer' }),
  },
  {
    name: 'reset mid-stream after one frame (once)',
    arrange: (fake) =>
      fake.control.script({
        match: { endpoint: [...generateEndpoints] },
        action: { kind: 'reset-after-chunks', chunks: 1 },
      }),
    // Non-stream requests read the whole upstream stream inside the attempt and rotate; streams have committed.
    expect: (stream) => (stream ? { kind: 'answer-or-in-band-error' } : { kind: 'answer' }),
  },
  {
    name: 'slow headers beyond agw.headers_timeout_seconds (once)',
    arrange: (fake) =>
      fake.control.script({ match: { endpoint: [...generateEndpoints] }, action: { kind: 'latency', ms: 1500 } }),
    expect: () => ({ kind: 'answer' }),
  },
  {
    name: 'stalled body beyond agw.chunk_gap_timeout_seconds (once)',
    arrange: (fake) => fake.control.script({ match: { endpoint: [...generateEndpoints] }, action: { kind: 'stall' } }),
    expect: () => ({ kind: 'answer' }),
  },
  {
    name: '5xx storm on every generate call',
    arrange: (fake) =>
      fake.control.script({
        match: { endpoint: [...generateEndpoints] },
        times: 'always',
        action: { kind: 'error', status: 503, message: 'backend unavailable' },
      }),
    expect: () => ({ kind: 'error', statuses: [502, 503, 504] }),
  },
  {
    name: '429 storm on every generate call',
    arrange: (fake) =>
      fake.control.script({
        match: { endpoint: [...generateEndpoints] },
        times: 'always',
        action: { kind: 'error', status: 429, reason: 'RATE_LIMIT_EXCEEDED', retryDelay: '30s' },
      }),
    expect: () => ({ kind: 'error', statuses: [429] }),
  },
  {
    name: 'invalid_grant on every account',
    expired: true,
    arrange: (fake) =>
      fake.control.script({ match: { endpoint: 'token' }, times: 'always', action: { kind: 'invalid-grant' } }),
    expect: () => ({ kind: 'error', statuses: [503] }),
    disables: true,
  },
  {
    name: 'token endpoint answers 503',
    expired: true,
    arrange: (fake) =>
      fake.control.script({
        match: { endpoint: 'token' },
        times: 'always',
        action: { kind: 'error', status: 503 },
      }),
    expect: () => ({ kind: 'error', statuses: [503] }),
  },
  {
    name: 'token endpoint resets the connection',
    expired: true,
    arrange: (fake) =>
      fake.control.script({
        match: { endpoint: 'token' },
        times: 'always',
        action: { kind: 'reset-before-headers' },
      }),
    expect: () => ({ kind: 'error', statuses: [503] }),
  },
];

async function startFor(fault: FaultCase): Promise<Harness> {
  const { createFakeGoogle } = await import('../../src/fake-google/index.ts');
  const fake = await createFakeGoogle({ port: 0 });
  const endpoints = fault.endpoints?.(fake);
  const harness = await startHarness({
    fake,
    accounts: Array.from({ length: poolSize }, (_, index) => ({
      email: `fault-${index}@example.com`,
      ...(fault.expired ? { expired: true } : {}),
    })),
    settings: {
      'agw.max_attempts': maxAttempts,
      'agw.headers_timeout_seconds': 0.4,
      'agw.chunk_gap_timeout_seconds': 0.4,
    },
    ...(endpoints ? { environment: { AGW_UPSTREAM_ENDPOINTS: endpoints.join(',') } } : {}),
  });
  return {
    ...harness,
    close: async (options) => {
      await harness.close(options);
      await fake.close();
    },
  };
}

function checkOutcome(
  protocol: Protocol,
  stream: boolean,
  expectation: Expectation,
  result: Awaited<ReturnType<typeof send>>,
) {
  const context = `${protocol} stream=${stream}: ${result.status} ${result.text.slice(0, 400)}`;
  if (expectation.kind === 'answer') {
    assert.equal(result.status, 200, context);
    assert.equal(inBandError(protocol, result), undefined, context);
    assert.match(answerText(protocol, result), /^Echo: /, context);
    return;
  }
  if (expectation.kind === 'answer-or-in-band-error') {
    assert.equal(result.status, 200, context);
    const error = inBandError(protocol, result);
    if (error === undefined) assert.match(answerText(protocol, result), /^Echo: /, context);
    else if (protocol === 'anthropic') assertDialectError('anthropic', error);
    else assertDialectError(protocol, error);
    return;
  }
  assert.ok(expectation.statuses.includes(result.status), context);
  assertDialectError(protocol, result.json);
  assert.ok(result.headers.get('x-agw-error-code')?.startsWith('AGW_'), context);
  if (result.status === 429) assert.ok(Number(result.headers.get('retry-after')) >= 1, `Retry-After: ${context}`);
}

describe('fault matrix', { concurrency: 4 }, () => {
  for (const fault of cases) {
    test(fault.name, async () => {
      for (const protocol of protocols) {
        for (const stream of [false, true]) {
          const harness = await startFor(fault);
          try {
            fault.arrange(harness.fake);
            const before = harness.fake.control.calls({ endpoint: [...generateEndpoints] }).length;
            const result = await send(
              harness.url,
              harness.headers,
              clientCall(protocol, `fault ${protocol} ${stream}`, stream),
            );
            checkOutcome(protocol, stream, fault.expect(stream), result);
            const generateCalls = harness.fake.control.calls({ endpoint: [...generateEndpoints] }).length - before;
            const bound = attemptBound * (fault.endpointsPerAttempt ?? 1);
            assert.ok(
              generateCalls <= bound,
              `${protocol} stream=${stream}: ${generateCalls} generate calls > ${bound}`,
            );
            const tokenCalls = harness.fake.control.calls({ endpoint: 'token' }).length;
            assert.ok(tokenCalls <= poolSize * 2 + attemptBound, `token calls ${tokenCalls}`);
            const state = await assertDataDirIntact(harness.dataDir);
            const disabled = [...state.files.values()].filter((file) => (file as { disabled?: boolean }).disabled);
            if (fault.disables) {
              assert.ok(disabled.length >= 1, 'invalid_grant disabled the accounts it met');
              for (const file of disabled)
                assert.match(String((file as { disabled_reason?: string }).disabled_reason), /^invalid_grant/);
            } else {
              assert.equal(disabled.length, 0, `${protocol} stream=${stream}: nothing disabled`);
            }
            const health = await fetch(`${harness.url}/healthz`, { headers: harness.headers });
            assert.equal(health.status, 200);
          } finally {
            await harness.close();
          }
        }
      }
    });
  }
});
