/**
 * The commit point through the real gateway and the fake: heartbeats sent while Google is silent keep the client
 * connected but do not commit the answer, so a 429 after the silence still rotates to another account and a
 * signature rejection still gets its one thinking-free retry, on the same stream. Only a failure that finally
 * reaches the client after pings travels in-band (the status is already 200).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';
import { answerText, inBandError, type Protocol, protocols, send } from '../reliability/helpers.ts';

/** Upstream silence before the scripted answer; many heartbeat intervals long. */
const silenceMs = 600;
const heartbeatSeconds = 0.05;

/** A streamed request that asks for thinking, in each dialect. */
function thinkingStream(protocol: Protocol, text: string): { path: string; body: unknown } {
  switch (protocol) {
    case 'openai':
      return {
        path: '/v1/chat/completions',
        body: { model: 'claude-sonnet-4-6-thinking', stream: true, messages: [{ role: 'user', content: text }] },
      };
    case 'anthropic':
      return {
        path: '/v1/messages',
        body: {
          model: 'claude-sonnet-4-6',
          stream: true,
          max_tokens: 4096,
          thinking: { type: 'enabled', budget_tokens: 1024 },
          messages: [{ role: 'user', content: text }],
        },
      };
    case 'gemini':
      return {
        path: '/v1beta/models/gemini-3-flash:streamGenerateContent?alt=sse',
        body: {
          contents: [{ role: 'user', parts: [{ text }] }],
          generationConfig: { thinkingConfig: { includeThoughts: true } },
        },
      };
  }
}

/** SSE frames (split at blank lines) that are heartbeats, counted before the first frame that is not one. */
function pingsBeforeAnswer(text: string): number {
  let pings = 0;
  for (const frame of text.split(/\r?\n\r?\n/)) {
    if (frame === '') continue;
    if (frame === ': ping' || frame.startsWith('event: ping')) pings += 1;
    else break;
  }
  return pings;
}

function generateCalls(harness: Harness) {
  return harness.fake.control.calls({ endpoint: 'streamGenerateContent' });
}

function thinkingConfigOf(call: { body: unknown }): unknown {
  return (call.body as { request?: { generationConfig?: { thinkingConfig?: unknown } } }).request?.generationConfig
    ?.thinkingConfig;
}

describe('heartbeats do not commit', () => {
  for (const protocol of protocols) {
    test(`${protocol}: pings, then a 429 → the answer of another account, then a signature rejection → one thinking-free retry, then a final failure in-band`, async () => {
      const harness = await startHarness({
        accounts: [{ email: 'first@example.com' }, { email: 'second@example.com' }, { email: 'third@example.com' }],
        settings: { 'agw.heartbeat_interval_seconds': heartbeatSeconds },
      });
      try {
        const silence = { kind: 'latency' as const, ms: silenceMs };
        const endpoint = 'streamGenerateContent' as const;

        // 1. Silence, then 429: rotation to another account, on the same stream.
        harness.fake.control.script({ match: { endpoint }, action: silence });
        harness.fake.control.script({
          match: { endpoint },
          action: { kind: 'error', status: 429, reason: 'QUOTA_EXHAUSTED', quotaResetDelay: '1h0m0s' },
        });
        const before = generateCalls(harness).length;
        const rotated = await send(harness.url, harness.headers, thinkingStream(protocol, 'after silence'));
        assert.equal(rotated.status, 200);
        assert.ok(pingsBeforeAnswer(rotated.text) >= 2, `pings before the answer:\n${rotated.text.slice(0, 300)}`);
        assert.equal(inBandError(protocol, rotated), undefined, rotated.text);
        assert.match(answerText(protocol, rotated), /Echo: after silence/);
        const rotatedCalls = generateCalls(harness).slice(before);
        assert.equal(rotatedCalls.length, 2);
        assert.notEqual(rotatedCalls[0]?.email, rotatedCalls[1]?.email, 'the second attempt used another account');

        // 2. Silence, then a signature rejection: one retry without thinking, on the same stream.
        harness.fake.control.script({ match: { endpoint }, action: silence });
        harness.fake.control.script({
          match: { endpoint },
          action: { kind: 'error', status: 400, message: 'Invalid `signature` in `thinking` block' },
        });
        const beforeRetry = generateCalls(harness).length;
        const retried = await send(harness.url, harness.headers, thinkingStream(protocol, 'retry after silence'));
        assert.equal(retried.status, 200);
        assert.ok(pingsBeforeAnswer(retried.text) >= 2);
        assert.equal(inBandError(protocol, retried), undefined, retried.text);
        assert.match(answerText(protocol, retried), /Echo: retry after silence/);
        const retriedCalls = generateCalls(harness).slice(beforeRetry);
        assert.equal(retriedCalls.length, 2, 'exactly one retry');
        assert.notEqual(thinkingConfigOf(retriedCalls[0]!), undefined, 'the first attempt asked for thinking');
        assert.equal(thinkingConfigOf(retriedCalls[1]!), undefined, 'the retry did not');

        // 3. Silence, then every account rate limited: the status is already 200, so the failure is in-band.
        harness.fake.control.script({ match: { endpoint }, times: 'always', action: silence });
        harness.fake.control.script({
          match: { endpoint },
          times: 'always',
          action: { kind: 'error', status: 429, reason: 'QUOTA_EXHAUSTED', quotaResetDelay: '1h0m0s' },
        });
        const failed = await send(harness.url, harness.headers, thinkingStream(protocol, 'no luck'));
        assert.equal(failed.status, 200);
        assert.ok(pingsBeforeAnswer(failed.text) >= 2);
        assert.ok(inBandError(protocol, failed) !== undefined, `an in-band error:\n${failed.text}`);
        harness.fake.control.clearScripts();
      } finally {
        await harness.close();
      }
    });
  }
});
