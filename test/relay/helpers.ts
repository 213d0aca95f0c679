/**
 * The relay against the real pool (fake clock, storage and tokens) and a scripted upstream: each call answers with
 * the next scripted reply. Deterministic: the fake clock only moves when a test or a reply moves it.
 */
import type { CanonicalRequest } from '../../src/protocols/canonical/types.ts';
import type { RelayFacts } from '../../src/relay/facts.ts';
import type { RelayServices } from '../../src/relay/ports.ts';
import type { StreamSink } from '../../src/relay/stream-sink.ts';
import type { UpstreamBody, UpstreamCall, UpstreamResponse } from '../../src/upstream/client.ts';
import { createTestPool, makeAccount, type TestPool } from '../pool/helpers.ts';

/** One scripted upstream reply: an HTTP error, or a 200 SSE stream of these chunks (a chunk may wait first). */
export type Reply =
  | { status: number; body: unknown; wait?: Promise<unknown> }
  | { chunks: Array<unknown | { wait: Promise<unknown>; chunk: unknown }>; thenThrow?: Error };

export function textChunk(text: string, options: { finish?: boolean; usage?: [number, number] } = {}): unknown {
  return {
    response: {
      candidates: [
        { content: { role: 'model', parts: [{ text }] }, ...(options.finish ? { finishReason: 'STOP' } : {}) },
      ],
      ...(options.usage === undefined
        ? {}
        : { usageMetadata: { promptTokenCount: options.usage[0], candidatesTokenCount: options.usage[1] } }),
    },
  };
}

export function googleError(code: number, message: string, details: unknown[] = []): unknown {
  return { error: { code, message, status: 'X', details } };
}

function isWaiting(chunk: unknown): chunk is { wait: Promise<unknown>; chunk: unknown } {
  return typeof chunk === 'object' && chunk !== null && 'wait' in chunk;
}

/** An upstream body: iterable once, destroyable like undici's. */
function bodyOf(source: AsyncIterable<Uint8Array> | Uint8Array[]): UpstreamBody {
  const iterator = (async function* () {
    yield* source;
  })();
  return Object.assign(iterator, { destroy: () => void iterator.return(undefined) });
}

export interface ScriptedUpstream {
  calls: UpstreamCall[];
  /** Milliseconds each call takes on the fake clock before it answers. */
  callMs: number;
}

export interface RelayHarness {
  services: RelayServices;
  pool: TestPool;
  upstream: ScriptedUpstream;
  heartbeats: number;
  upstream429: string[];
  facts: RelayFacts;
}

export function relayHarness(replies: Reply[], accounts = ['a', 'b', 'c']): RelayHarness {
  const pool = createTestPool();
  pool.pool.load(accounts.map((id) => makeAccount(id)));
  const upstream: ScriptedUpstream = { calls: [], callMs: 0 };
  const harness: RelayHarness = {
    pool,
    upstream,
    heartbeats: 0,
    upstream429: [],
    facts: { attempts: 0 },
    services: {
      pool: pool.pool,
      now: () => pool.clock.now(),
      metrics: {
        recordHeartbeat: () => {
          harness.heartbeats += 1;
        },
        recordUpstream429: (reason) => {
          harness.upstream429.push(reason);
        },
      },
      upstream: {
        async call(options): Promise<UpstreamResponse> {
          upstream.calls.push(options);
          pool.clock.nowMs += upstream.callMs;
          const reply = replies.shift();
          if (reply === undefined) throw new Error('no scripted reply left');
          if ('status' in reply) {
            await reply.wait;
            const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
            return { status: reply.status, headers: {}, body: bodyOf([]), endpoint: 'fake', text: async () => text };
          }
          const encoder = new TextEncoder();
          const stream = reply;
          async function* body(): AsyncGenerator<Uint8Array> {
            for (const item of stream.chunks) {
              if (isWaiting(item)) await item.wait;
              if (options.signal?.aborted) throw options.signal.reason;
              const chunk = isWaiting(item) ? item.chunk : item;
              yield encoder.encode(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
            }
            if (stream.thenThrow !== undefined) throw stream.thenThrow;
          }
          return { status: 200, headers: {}, body: bodyOf(body()), endpoint: 'fake', text: async () => '' };
        },
      },
    },
  };
  return harness;
}

export function canonicalRequest(overrides: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return {
    protocol: 'openai',
    clientModel: 'gemini-3-flash',
    upstreamModel: 'gemini-3-flash',
    stream: true,
    sessionKey: 'session-1',
    request: {
      contents: [{ role: 'user', parts: [{ text: 'hello' }] }],
      generationConfig: { thinkingConfig: { includeThoughts: true } },
    },
    toolNames: [],
    ...overrides,
  };
}

/** A sink that records frames; `leave()` is the client going away. */
export class RecordingSink implements StreamSink {
  opened = false;
  closed = false;
  ended = false;
  readonly writes: string[] = [];
  pings = 0;
  private readonly pingWaiters: Array<{ count: number; resolve: () => void }> = [];
  readonly controller = new AbortController();

  private readonly writeWaiters: Array<() => void> = [];

  async write(frames: readonly string[]): Promise<void> {
    if (this.closed) return;
    this.opened = true;
    this.writes.push(...frames);
    for (const resolve of this.writeWaiters.splice(0)) resolve();
  }

  /** Resolves at the first write of answer frames. */
  firstWrite(): Promise<void> {
    return new Promise((resolve) => this.writeWaiters.push(resolve));
  }

  async ping(): Promise<void> {
    if (this.closed) return;
    this.opened = true;
    this.pings += 1;
    this.writes.push(': ping\n\n');
    for (const waiter of this.pingWaiters.filter((item) => item.count <= this.pings)) waiter.resolve();
  }

  end(): void {
    this.opened = true;
    this.closed = true;
    this.ended = true;
  }

  leave(): void {
    this.closed = true;
    this.controller.abort(new Error('client left'));
  }

  /** Resolves once `count` pings were written (an event, not a timer). */
  pinged(count: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.pings >= count) resolve();
      else this.pingWaiters.push({ count, resolve });
    });
  }
}
