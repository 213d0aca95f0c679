/**
 * The one heartbeat of a stream: after every `intervalMs` without a frame written, a ping keeps clients and
 * intermediaries with idle timeouts connected (long thinking, a rotation that waits, a slow upstream). A ping is not
 * part of the answer: it opens the response (status 200) but does not commit it, so the relay may still rotate or
 * retry; only a failure that finally reaches the client then travels in-band.
 */
import type { StreamSink } from './stream-sink.ts';

export interface KeepAlive {
  /** A frame was written: the silence starts again. */
  touch(): void;
  stop(): void;
}

export function keepAlive(sink: StreamSink, intervalMs: number, onPing: () => void): KeepAlive {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    if (stopped || sink.closed) return;
    timer = setTimeout(() => {
      if (stopped || sink.closed) return;
      onPing();
      void sink.ping().then(arm);
    }, intervalMs);
    timer.unref();
  };
  arm();
  return {
    touch: arm,
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
