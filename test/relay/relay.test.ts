/**
 * The relay on its own: one attempt shared by streamed, collected and countTokens calls; the facts it records
 * (attempts and upstream time over every attempt, usage, error code); the commit point (heartbeats do not commit,
 * the first content event does); the thinking-free retry for any dialect; and the explicit pass-through path.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/errors/catalogue.ts';
import type { CanonicalEvent, CanonicalRequest } from '../../src/protocols/canonical/types.ts';
import { relayCollect } from '../../src/relay/collect.ts';
import { relayCountTokens } from '../../src/relay/count-tokens.ts';
import type { StreamOutput } from '../../src/relay/encoders.ts';
import { relayStream } from '../../src/relay/stream.ts';
import { quotaExhausted } from '../pool/helpers.ts';
import { rejection } from '../support/rejection.ts';
import { canonicalRequest, googleError, RecordingSink, type RelayHarness, relayHarness, textChunk } from './helpers.ts';

/** Frames named after the events, so tests read what the client would get. */
const namedEvents: StreamOutput = {
  kind: 'events',
  createEncoder: (accountId) => ({
    push: (event: CanonicalEvent) => {
      if (event.type === 'error') return [`error ${event.code}\n\n`];
      if (event.type === 'text-delta') return [`text ${event.text} from ${accountId}\n\n`];
      return [];
    },
    end: () => ['end\n\n'],
  }),
};

/** Streams `canonical` (default: a streamed request asking for thinking) into `sink` through `harness`. */
function streamInto(
  harness: RelayHarness,
  sink: RecordingSink,
  options: { heartbeatIntervalMs: number; canonical?: CanonicalRequest; output?: StreamOutput },
): Promise<void> {
  return relayStream(harness.services, {
    canonical: options.canonical ?? canonicalRequest(),
    signal: sink.controller.signal,
    sink,
    output: options.output ?? namedEvents,
    facts: harness.facts,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
  });
}

const signatureRejection = { status: 400, body: googleError(400, 'Invalid `signature` in `thinking` block') };

function thinkingConfigOf(body: unknown): unknown {
  return (body as { request: { generationConfig?: { thinkingConfig?: unknown } } }).request.generationConfig
    ?.thinkingConfig;
}

describe('collected answers', () => {
  test('the facts count every attempt, the account of the last, the upstream time of all, and the usage', async () => {
    const harness = relayHarness([
      { status: 503, body: googleError(503, 'backend unavailable') },
      { chunks: [textChunk('partial')] },
      { chunks: [textChunk('Hel'), textChunk('lo', { finish: true, usage: [5, 2] })] },
    ]);
    harness.upstream.callMs = 100;
    const collected = await relayCollect(harness.services, {
      canonical: canonicalRequest({ stream: false }),
      signal: new AbortController().signal,
      facts: harness.facts,
    });
    assert.equal(collected.events.filter((event) => event.type === 'text-delta').length, 2);
    assert.equal(collected.chunks.length, 2);
    assert.equal(harness.upstream.calls.length, 3, 'a 5xx and a truncated answer both rotate');
    assert.equal(harness.facts.attempts, 3);
    assert.equal(harness.facts.accountId, collected.accountId);
    assert.equal(harness.facts.upstreamMs, 300, 'upstream time summed over every attempt');
    assert.equal(harness.facts.usage?.inputTokens, 5);
    assert.equal(harness.facts.errorCode, undefined);
  });

  test('a signature rejection gets one thinking-free retry, whatever the dialect; a second rejection is the answer', async () => {
    const harness = relayHarness([signatureRejection, { chunks: [textChunk('ok', { finish: true })] }]);
    await relayCollect(harness.services, {
      canonical: canonicalRequest({ protocol: 'gemini', stream: false }),
      signal: new AbortController().signal,
      facts: harness.facts,
    });
    assert.notEqual(thinkingConfigOf(harness.upstream.calls[0]?.body), undefined);
    assert.equal(thinkingConfigOf(harness.upstream.calls[1]?.body), undefined);
    assert.equal(harness.facts.attempts, 2, 'attempts count over both passes');

    const twice = relayHarness([signatureRejection, signatureRejection, { chunks: [textChunk('never')] }]);
    const error = await rejection(
      relayCollect(twice.services, {
        canonical: canonicalRequest({ stream: false }),
        signal: new AbortController().signal,
        facts: twice.facts,
      }),
    );
    assert.equal(error.code, 'AGW_UPSTREAM_BAD_REQUEST');
    assert.equal(twice.upstream.calls.length, 2, 'never a second retry');
    assert.equal(twice.facts.errorCode, 'AGW_UPSTREAM_BAD_REQUEST');
  });
});

describe('streamed answers and the commit point', () => {
  test('pings while Google is silent do not commit: a 429 after them still rotates, and the answer follows', async () => {
    const sink = new RecordingSink();
    const harness = relayHarness([
      { status: 429, body: quotaExhausted('1h'), wait: sink.pinged(2) },
      { chunks: [textChunk('hi', { finish: true })] },
    ]);
    await streamInto(harness, sink, { heartbeatIntervalMs: 1 });
    const [first, second] = harness.upstream.calls;
    assert.notEqual(first?.accessToken, second?.accessToken, 'another account answered');
    const content = sink.writes.filter((frame) => frame !== ': ping\n\n');
    assert.equal(content.length, 2);
    assert.match(content[0] ?? '', /^text hi from /);
    assert.equal(content[1], 'end\n\n');
    assert.ok(sink.writes.indexOf(content[0] ?? '') >= 2, 'the pings came first');
    assert.equal(harness.heartbeats, sink.pings);
    assert.deepEqual(harness.upstream429, ['QUOTA_EXHAUSTED']);
    assert.equal(harness.facts.attempts, 2);
    assert.ok(sink.ended);
  });

  test('pings do not stop the thinking-free retry either', async () => {
    const sink = new RecordingSink();
    const harness = relayHarness([
      { ...signatureRejection, wait: sink.pinged(2) },
      { chunks: [textChunk('hi', { finish: true })] },
    ]);
    await streamInto(harness, sink, { heartbeatIntervalMs: 1 });
    assert.equal(harness.upstream.calls.length, 2);
    assert.equal(thinkingConfigOf(harness.upstream.calls[1]?.body), undefined);
    assert.ok(!sink.writes.some((frame) => frame.startsWith('error')));
  });

  test('a failure after pings travels in-band (status 200 is gone); before any byte it is thrown', async () => {
    const sink = new RecordingSink();
    const limited = { status: 429, body: quotaExhausted('1h') };
    const harness = relayHarness([{ ...limited, wait: sink.pinged(1) }, limited, limited]);
    await streamInto(harness, sink, { heartbeatIntervalMs: 1 });
    const failure = sink.writes.find((frame) => frame.startsWith('error'));
    assert.ok(failure !== undefined, sink.writes.join(''));
    assert.equal(failure, `error ${harness.facts.errorCode}\n\n`);
    assert.equal(harness.facts.errorCode, 'AGW_ALL_ACCOUNTS_LIMITED');
    assert.ok(sink.ended);

    const quiet = new RecordingSink();
    const plain = relayHarness([{ status: 400, body: googleError(400, 'Request contains an invalid argument.') }]);
    const error = await rejection(streamInto(plain, quiet, { heartbeatIntervalMs: 60_000 }));
    assert.equal(error.code, 'AGW_UPSTREAM_BAD_REQUEST');
    assert.equal(quiet.opened, false, 'nothing was sent: the caller answers a plain error');
  });

  test('after the first content event a broken upstream is an in-band error, never a rotation', async () => {
    const sink = new RecordingSink();
    const harness = relayHarness([
      {
        chunks: [textChunk('a', { usage: [4, 1] })],
        thenThrow: new GatewayError('AGW_UPSTREAM_UNREACHABLE', 'socket hang up'),
      },
      { chunks: [textChunk('never', { finish: true })] },
    ]);
    await streamInto(harness, sink, { heartbeatIntervalMs: 60_000 });
    assert.equal(harness.upstream.calls.length, 1);
    assert.deepEqual(
      sink.writes.filter((frame) => !frame.startsWith('text')),
      ['error AGW_UPSTREAM_STREAM_BROKEN\n\n', 'end\n\n'],
    );
    assert.equal(harness.facts.errorCode, 'AGW_UPSTREAM_STREAM_BROKEN');
    assert.equal(harness.facts.usage?.inputTokens, 4);
  });

  test('a client that leaves mid-stream: AGW_CLIENT_CLOSED with the usage seen so far, the upstream left', async () => {
    const sink = new RecordingSink();
    const left = sink.firstWrite().then(() => sink.leave());
    const harness = relayHarness([
      {
        chunks: [
          textChunk('a', { usage: [9, 1] }),
          { wait: left, chunk: textChunk('b', { usage: [9, 2] }) },
          textChunk('c', { finish: true, usage: [9, 3] }),
        ],
      },
    ]);
    await streamInto(harness, sink, { heartbeatIntervalMs: 60_000 });
    assert.equal(harness.facts.errorCode, 'AGW_CLIENT_CLOSED');
    assert.deepEqual(
      [harness.facts.usage?.inputTokens, harness.facts.usage?.outputTokens],
      [9, 1],
      'the usage of what was read before the client left',
    );
    assert.equal(sink.writes.length, 1);
  });

  test('the Gemini pass-through forwards upstream chunks and turns an error chunk into its own error frame', async () => {
    const sink = new RecordingSink();
    const harness = relayHarness([
      { chunks: [textChunk('a'), googleError(429, 'slow down'), textChunk('never', { finish: true })] },
    ]);
    await streamInto(harness, sink, {
      canonical: canonicalRequest({ protocol: 'gemini' }),
      heartbeatIntervalMs: 60_000,
      output: {
        kind: 'passthrough',
        createEncoder: () => ({
          pushChunk: (chunk) => [`chunk ${JSON.stringify(chunk)}\n\n`],
          fail: (code) => [`fail ${code}\n\n`],
          end: () => ['done\n\n'],
        }),
      },
    });
    assert.deepEqual(sink.writes, [
      `chunk ${JSON.stringify(textChunk('a'))}\n\n`,
      'fail AGW_UPSTREAM_RATE_LIMITED\n\n',
      'done\n\n',
    ]);
  });
});

describe('countTokens', () => {
  test('goes through the same attempt: rotates on a 5xx, reads totalTokens, records its facts', async () => {
    const harness = relayHarness([
      { status: 503, body: googleError(503, 'down') },
      { status: 200, body: { totalTokens: 42 } },
    ]);
    const counted = await relayCountTokens(harness.services, {
      model: 'gemini-3-flash',
      body: { request: { contents: [] } },
      signal: new AbortController().signal,
      facts: harness.facts,
    });
    assert.deepEqual(counted, { totalTokens: 42 });
    assert.equal(harness.facts.attempts, 2);
    assert.deepEqual(
      harness.upstream.calls.map((call) => call.method),
      ['countTokens', 'countTokens'],
    );
  });
});
