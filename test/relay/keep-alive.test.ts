/**
 * The stream heartbeat keeps one timer for the whole stream: frames only move its deadline. Counted, not timed:
 * a stream writes a frame per chunk, and a new timer per frame was event-loop work under load (docs/performance.md).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, mock, test } from 'node:test';
import { keepAlive } from '../../src/relay/keep-alive.ts';
import type { StreamSink } from '../../src/relay/stream-sink.ts';

function sinkCountingPings(): StreamSink & { closed: boolean; pings: number; pinged(count: number): Promise<void> } {
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const sink = {
    opened: false,
    closed: false,
    pings: 0,
    write: async () => undefined,
    async ping() {
      sink.pings += 1;
      for (const waiter of waiters.filter((item) => item.count <= sink.pings)) waiter.resolve();
    },
    end() {
      sink.closed = true;
    },
    pinged: (count: number) =>
      new Promise<void>((resolve) => {
        if (sink.pings >= count) resolve();
        else waiters.push({ count, resolve });
      }),
  };
  return sink;
}

describe('stream heartbeat', () => {
  afterEach(() => mock.restoreAll());

  test('a thousand written frames create no timer beyond the first', () => {
    const created = mock.method(globalThis, 'setTimeout');
    const heartbeat = keepAlive(sinkCountingPings(), 60_000, () => undefined);
    for (let frame = 0; frame < 1000; frame += 1) heartbeat.touch();
    heartbeat.stop();
    assert.equal(created.mock.callCount(), 1);
  });

  test('silence still gives a ping after every interval, on the same timer, until stopped', async () => {
    const sink = sinkCountingPings();
    let counted = 0;
    const created = mock.method(globalThis, 'setTimeout');
    const heartbeat = keepAlive(sink, 1, () => {
      counted += 1;
    });
    await sink.pinged(3);
    heartbeat.stop();
    const afterStop = sink.pings;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(created.mock.callCount(), 1);
    assert.equal(counted, afterStop);
    assert.ok(afterStop >= 3);
  });

  test('a closed sink gets no ping', async () => {
    const sink = sinkCountingPings();
    sink.closed = true;
    let counted = 0;
    const heartbeat = keepAlive(sink, 1, () => {
      counted += 1;
    });
    heartbeat.touch();
    await new Promise((resolve) => setTimeout(resolve, 5));
    heartbeat.stop();
    assert.equal(counted, 0);
    assert.equal(sink.pings, 0);
  });
});
