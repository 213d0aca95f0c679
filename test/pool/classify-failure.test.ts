import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UpstreamFailure } from '../../src/pool/attempt-types.ts';
import {
  classifyFailure,
  extractValidationUrl,
  type FailureVerdict,
  mayBePoison,
} from '../../src/pool/classify-failure.ts';
import { defaultPoolSettings } from '../../src/pool/settings.ts';
import { readUpstreamErrorBody } from '../../src/pool/upstream-error-body.ts';

const now = 1_800_000_000_000;

function http(status: number, body: unknown, headers: Record<string, string> = {}): UpstreamFailure {
  return {
    kind: 'http',
    status,
    headers,
    bodyText: typeof body === 'string' ? body : JSON.stringify(body),
    committed: false,
  };
}

function googleError(code: number, message: string, details: unknown[] = []) {
  return { error: { code, message, status: 'X', details } };
}

const errorInfo = (reason: string, metadata: Record<string, string> = {}) => ({
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
  reason,
  metadata,
});

interface Row {
  name: string;
  failure: UpstreamFailure;
  expect: Partial<Record<string, unknown>> & { action: FailureVerdict['action'] };
}

const table: Row[] = [
  {
    name: '429 with 1 s hint → wait on the same account',
    failure: http(429, googleError(429, 'x', [errorInfo('RATE_LIMIT_EXCEEDED', { quotaResetDelay: '1s' })])),
    expect: { action: 'wait-same', waitMs: 1000, reason: 'RATE_LIMIT_EXCEEDED' },
  },
  {
    name: '429 with exactly the threshold → wait',
    failure: http(429, 'rate limit', { 'retry-after': '2' }),
    expect: { action: 'wait-same', waitMs: 2000 },
  },
  {
    name: '429 QUOTA_EXHAUSTED with 3 h → cool the model',
    failure: http(429, googleError(429, 'x', [errorInfo('QUOTA_EXHAUSTED', { quotaResetDelay: '3h' })])),
    expect: { action: 'cool-model', reason: 'QUOTA_EXHAUSTED' },
  },
  {
    name: '429 MODEL_CAPACITY_EXHAUSTED without hint → cool the model',
    failure: http(429, googleError(429, 'No capacity', [errorInfo('MODEL_CAPACITY_EXHAUSTED')])),
    expect: { action: 'cool-model', reason: 'MODEL_CAPACITY_EXHAUSTED' },
  },
  {
    name: '429 per-minute text → RATE_LIMIT_EXCEEDED',
    failure: http(429, 'Quota exceeded: requests per minute'),
    expect: { action: 'cool-model', reason: 'RATE_LIMIT_EXCEEDED' },
  },
  {
    name: '429 generic resource exhausted → RATE_LIMIT_EXCEEDED',
    failure: http(429, googleError(429, 'Resource has been exhausted (e.g. check quota).')),
    expect: { action: 'cool-model', reason: 'RATE_LIMIT_EXCEEDED' },
  },
  {
    name: '429 daily quota text → QUOTA_EXHAUSTED',
    failure: http(429, 'You exceeded your daily quota'),
    expect: { action: 'cool-model', reason: 'QUOTA_EXHAUSTED' },
  },
  {
    name: '429 with nothing readable → unknown',
    failure: http(429, ''),
    expect: { action: 'cool-model', reason: 'RATE_LIMIT_UNKNOWN' },
  },
  { name: '401 → refresh and retry', failure: http(401, 'expired'), expect: { action: 'refresh-retry' } },
  {
    name: '403 VALIDATION_REQUIRED → validation block with URL',
    failure: http(
      403,
      googleError(403, 'Please verify your account', [
        errorInfo('VALIDATION_REQUIRED', { validation_url: 'https://accounts.google.com/verify?x=1' }),
      ]),
    ),
    expect: { action: 'validation-block', url: 'https://accounts.google.com/verify?x=1' },
  },
  {
    name: '403 other → forbidden',
    failure: http(403, googleError(403, 'The caller does not have permission')),
    expect: { action: 'forbidden', message: 'The caller does not have permission' },
  },
  {
    name: '500 → rotate with account cooldown',
    failure: http(500, 'boom'),
    expect: { action: 'rotate', code: 'AGW_UPSTREAM_SERVER_ERROR', coolAccount: true },
  },
  {
    name: '503 → rotate',
    failure: http(503, 'unavailable'),
    expect: { action: 'rotate', code: 'AGW_UPSTREAM_SERVER_ERROR', coolAccount: true },
  },
  {
    name: '529 → rotate',
    failure: http(529, 'overloaded'),
    expect: { action: 'rotate', code: 'AGW_UPSTREAM_SERVER_ERROR' },
  },
  {
    name: '200 with an error body → server error, rotate',
    failure: http(200, googleError(500, 'Internal error encountered.')),
    expect: { action: 'rotate', code: 'AGW_UPSTREAM_SERVER_ERROR', status: 200 },
  },
  {
    name: '429 RESOURCE_EXHAUSTED without any detail (prompt filter) → rotate, no cooldown',
    failure: http(429, {
      error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' },
    }),
    expect: { action: 'rotate', code: 'AGW_UPSTREAM_PROMPT_FILTERED', coolAccount: false, status: 429 },
  },
  {
    name: '503 UNAVAILABLE without any detail (outage or prompt filter) → rotate, no cooldown, a server error',
    failure: http(503, {
      error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' },
    }),
    expect: { action: 'rotate', code: 'AGW_UPSTREAM_SERVER_ERROR', coolAccount: false, status: 503 },
  },
  {
    name: '200 "no longer supported" text → client outdated, no rotation, no cooldown',
    failure: http(
      200,
      'This version of Antigravity is no longer supported. Please update to receive the latest features!',
    ),
    expect: { action: 'client-error', code: 'AGW_UPSTREAM_CLIENT_OUTDATED', status: 502 },
  },
  {
    name: '400 → client error, no rotation',
    failure: http(400, googleError(400, 'Invalid argument')),
    expect: { action: 'client-error', code: 'AGW_UPSTREAM_BAD_REQUEST', status: 400, message: 'Invalid argument' },
  },
  {
    name: '404 → client error (unknown model)',
    failure: http(404, googleError(404, 'model not found')),
    expect: { action: 'client-error', code: 'AGW_UPSTREAM_NOT_FOUND', status: 404 },
  },
  {
    name: '413 → client error',
    failure: http(413, 'too large'),
    expect: { action: 'client-error', code: 'AGW_UPSTREAM_BAD_REQUEST', status: 413 },
  },
  {
    name: 'network → rotate without cooldown',
    failure: { kind: 'network', message: 'ECONNRESET', committed: false },
    expect: { action: 'rotate', code: 'AGW_UPSTREAM_UNREACHABLE', coolAccount: false },
  },
  {
    name: 'timeout → rotate without cooldown',
    failure: { kind: 'timeout', message: 'no headers in 60s', committed: false },
    expect: { action: 'rotate', code: 'AGW_UPSTREAM_TIMEOUT', coolAccount: false },
  },
];

describe('classifyFailure table', () => {
  for (const row of table) {
    test(row.name, () => {
      const verdict = classifyFailure(row.failure, defaultPoolSettings, now) as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(row.expect)) assert.deepEqual(verdict[key], value, key);
    });
  }

  test('the 3 h hint is kept whole (no cap)', () => {
    const verdict = classifyFailure(
      http(429, googleError(429, 'x', [errorInfo('QUOTA_EXHAUSTED', { quotaResetDelay: '3h' })])),
      defaultPoolSettings,
      now,
    );
    assert.equal(verdict.action, 'cool-model');
    assert.equal(verdict.action === 'cool-model' ? verdict.hint?.delayMs : 0, 10_800_000);
  });

  test('the short-retry threshold comes from the settings', () => {
    const failure = http(429, 'rate limit', { 'retry-after': '2' });
    const verdict = classifyFailure(failure, { ...defaultPoolSettings, shortRetryThresholdMs: 1000 }, now);
    assert.equal(verdict.action, 'cool-model');
  });
});

test('extractValidationUrl falls back to the first https URL and unescapes \\u0026', () => {
  const text = 'Verify at https://accounts.google.com/signin/continue?a=1\\u0026b=2 please';
  assert.equal(
    extractValidationUrl(readUpstreamErrorBody(text), text),
    'https://accounts.google.com/signin/continue?a=1&b=2',
  );
  const appeal = JSON.stringify(
    googleError(403, 'x', [errorInfo('VALIDATION_REQUIRED', { appeal_url: 'https://a.example/appeal' })]),
  );
  assert.equal(extractValidationUrl(readUpstreamErrorBody(appeal), appeal), 'https://a.example/appeal');
});

test('mayBePoison: only failures that say nothing about the account count towards a poisoned request', () => {
  const rows: Array<[string, UpstreamFailure, boolean]> = [
    ['400 invalid argument', http(400, googleError(400, 'Request contains an invalid argument.')), true],
    ['404 unknown model', http(404, googleError(404, 'not found')), true],
    [
      '429 without reason or reset',
      http(429, googleError(429, 'Resource has been exhausted (e.g. check quota).')),
      true,
    ],
    ['429 rate limit without reset', http(429, googleError(429, 'x', [errorInfo('RATE_LIMIT_EXCEEDED')])), true],
    [
      '429 QUOTA_EXHAUSTED with a 3 h reset',
      http(429, googleError(429, 'x', [errorInfo('QUOTA_EXHAUSTED', { quotaResetDelay: '3h0m0s' })])),
      false,
    ],
    ['429 QUOTA_EXHAUSTED without a reset', http(429, googleError(429, 'x', [errorInfo('QUOTA_EXHAUSTED')])), false],
    ['429 capacity', http(429, googleError(429, 'x', [errorInfo('MODEL_CAPACITY_EXHAUSTED')])), false],
    [
      '429 rate limit with a 30 s reset',
      http(429, googleError(429, 'x', [errorInfo('RATE_LIMIT_EXCEEDED', { quotaResetDelay: '30s' })])),
      false,
    ],
    [
      '429 rate limit with a 1 s reset (waited out)',
      http(429, googleError(429, 'x', [errorInfo('RATE_LIMIT_EXCEEDED', { quotaResetDelay: '1s' })])),
      false,
    ],
    ['429 with Retry-After only', http(429, googleError(429, 'slow down'), { 'retry-after': '120' }), false],
    ['503', http(503, googleError(503, 'unavailable')), false],
    ['401', http(401, googleError(401, 'expired')), false],
  ];
  for (const [name, failure, expected] of rows) {
    assert.equal(mayBePoison(classifyFailure(failure, defaultPoolSettings, now)), expected, name);
  }
});
