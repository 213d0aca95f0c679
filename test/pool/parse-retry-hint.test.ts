import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDuration, parseRetryAfterHeader, parseRetryHint } from '../../src/pool/parse-retry-hint.ts';
import { readUpstreamErrorBody } from '../../src/pool/upstream-error-body.ts';

const now = Date.parse('2026-03-01T00:00:00Z');

function hint(bodyText: string, headers: Record<string, string> = {}) {
  return parseRetryHint(readUpstreamErrorBody(bodyText), bodyText, headers, now);
}

function rpcError(details: unknown[], message = 'Resource exhausted'): string {
  return JSON.stringify({ error: { code: 429, message, status: 'RESOURCE_EXHAUSTED', details } });
}

describe('parseDuration', () => {
  const table: [string, number | undefined][] = [
    ['135h9m46s', (135 * 3600 + 9 * 60 + 46) * 1000],
    ['486586s', 486_586_000],
    ['1.5s', 1500],
    ['0.0012s', 2],
    ['250ms', 250],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['3h0m0s', 10_800_000],
    ['', undefined],
    ['5 hours', undefined],
    ['abc', undefined],
    ['12', undefined],
  ];
  for (const [input, expected] of table) {
    test(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(parseDuration(input), expected));
  }
});

describe('parseRetryHint table', () => {
  const table: { name: string; body: string; headers?: Record<string, string>; delayMs?: number; source?: string }[] = [
    {
      name: 'RetryInfo.retryDelay wins',
      body: rpcError([
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'QUOTA_EXHAUSTED',
          metadata: { quotaResetDelay: '1s' },
        },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '486586s' },
      ]),
      delayMs: 486_586_000,
      source: 'retry-info',
    },
    {
      name: 'RetryInfo as {seconds,nanos}',
      body: rpcError([
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: { seconds: '3', nanos: 500_000_000 } },
      ]),
      delayMs: 3500,
      source: 'retry-info',
    },
    {
      name: 'quotaResetDelay in ErrorInfo metadata (3 h)',
      body: rpcError([
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'QUOTA_EXHAUSTED',
          metadata: { quotaResetDelay: '3h' },
        },
      ]),
      delayMs: 10_800_000,
      source: 'quota-reset-delay',
    },
    {
      name: 'quotaResetTimeStamp alone',
      body: rpcError([{ '@type': 'x.ErrorInfo', metadata: { quotaResetTimeStamp: '2026-03-01T01:00:00Z' } }]),
      delayMs: 3_600_000,
      source: 'quota-reset-timestamp',
    },
    {
      name: 'Retry-After seconds header',
      body: '{"error":{"code":429,"message":"slow down"}}',
      headers: { 'Retry-After': '7' },
      delayMs: 7000,
      source: 'retry-after-header',
    },
    {
      name: 'Retry-After HTTP date',
      body: 'nope',
      headers: { 'retry-after': 'Sun, 01 Mar 2026 00:00:30 GMT' },
      delayMs: 30_000,
      source: 'retry-after-header',
    },
    {
      name: 'error.retry_after number',
      body: '{"error":{"message":"x","retry_after":12}}',
      delayMs: 12_000,
      source: 'error-retry-after',
    },
    {
      name: 'text: quota will reset after 135h10m5s',
      body: rpcError([], 'You have exhausted your capacity on this model. Your quota will reset after 135h10m5s.'),
      delayMs: (135 * 3600 + 10 * 60 + 5) * 1000,
      source: 'text',
    },
    { name: 'text: try again in 2m 30s', body: 'Please try again in 2m 30s.', delayMs: 150_000, source: 'text' },
    { name: 'text: try again in 30s', body: 'Please try again in 30s', delayMs: 30_000, source: 'text' },
    {
      name: 'text: quota will reset in 40 seconds',
      body: 'quota will reset in 40 seconds',
      delayMs: 40_000,
      source: 'text',
    },
    { name: 'text: retry after 9 seconds', body: 'Retry after 9 seconds', delayMs: 9_000, source: 'text' },
    { name: 'text: (wait 4s)', body: 'busy (wait 4s)', delayMs: 4_000, source: 'text' },
    {
      name: 'no hint: a number in a message is not a delay',
      body: rpcError([], 'Your 5h window and 30s budget are gone'),
    },
    {
      name: 'no hint: arbitrary duration-looking metadata',
      body: rpcError([{ '@type': 'x', metadata: { model: '5s' } }]),
    },
    { name: 'no hint: plain text', body: 'Too Many Requests' },
  ];
  for (const row of table) {
    test(row.name, () => {
      const result = hint(row.body, row.headers);
      if (row.delayMs === undefined) {
        assert.equal(result, undefined);
      } else {
        assert.ok(result);
        assert.equal(result.delayMs, row.delayMs);
        assert.equal(result.source, row.source);
        assert.equal(result.resetAtMs, now + row.delayMs);
      }
    });
  }
});

test('parseRetryAfterHeader rejects junk', () => {
  assert.equal(parseRetryAfterHeader('soon', now), undefined);
  assert.equal(parseRetryAfterHeader('0', now), 0);
});
