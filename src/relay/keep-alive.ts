/**
 * The one heartbeat of a stream: after every `intervalMs` without a frame written, a ping keeps clients and
 * intermediaries with idle timeouts connected (long thinking, a rotation that waits, a slow upstream). A ping is not
 * part of the answer: it opens the response (status 200) but does not commit it, so the relay may still rotate or
 * retry; only a failure that finally reaches the client then travels in-band.
 *
 * One timer per stream, created once: a written frame only moves its deadline (`refresh()`), because a stream
 * touches it for every frame and a new timer per frame was measurable work on the event loop under load.
 */
import type { StreamSink } from './stream-sink.ts';

export interface KeepAlive {
  /** A frame was written: the silence starts again. */
  touch(): void;
  stop(): void;
}

export function keepAlive(sink: StreamSink, intervalMs: number, onPing: () => void): KeepAlive {
  let stopped = false;
  /** A ping is being written: the timer is re-armed when it is done, not by frames meanwhile. */
  let pinging = false;
  const timer: NodeJS.Timeout = setTimeout(() => {
    if (stopped || sink.closed) return;
    pinging = true;
    onPing();
    void sink.ping().then(() => {
      pinging = false;
      if (!stopped && !sink.closed) timer.refresh();
    });
  }, intervalMs);
  timer.unref();
  return {
    touch() {
      if (!stopped && !pinging && !sink.closed) timer.refresh();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
