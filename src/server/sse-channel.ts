/**
 * One server-sent-events response. Nothing reaches the client until `commit()`: before it the gateway may still
 * rotate accounts or answer with a plain error; after it, failures can only travel in-band. Frames go through a
 * PassThrough handed to `reply.send`, so Fastify owns the socket lifecycle (no hijack) and a client that goes
 * away is seen through the response's `close` event.
 *
 * Heartbeats: after `heartbeatIntervalMs` without a frame, a `: ping` comment is written so intermediaries and
 * clients with idle timeouts keep the connection during long thinking.
 */
import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';

export interface SseChannel {
  readonly committed: boolean;
  /** True once the client has gone away or the stream ended. */
  readonly closed: boolean;
  /** Sends the status line and headers; idempotent. */
  commit(extraHeaders?: Record<string, string>): void;
  /** Writes pre-encoded frames (each ends with a blank line), waiting for the client to drain when needed. */
  write(frames: readonly string[]): Promise<void>;
  /** A `: ping` comment; also commits. */
  ping(): Promise<void>;
  end(): void;
}

export interface SseChannelOptions {
  heartbeatIntervalMs: number;
  /** Called for every heartbeat written (metrics). */
  onHeartbeat?: () => void;
  /** Custom heartbeat frame, e.g. Anthropic's `event: ping`. */
  heartbeatFrame?: string;
}

export function createSseChannel(reply: FastifyReply, options: SseChannelOptions): SseChannel {
  const stream = new PassThrough();
  let committed = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const heartbeatFrame = options.heartbeatFrame ?? ': ping\n\n';

  reply.raw.once('close', () => {
    closed = true;
    if (timer) clearTimeout(timer);
    stream.destroy();
  });

  const armHeartbeat = (): void => {
    if (timer) clearTimeout(timer);
    if (closed) return;
    timer = setTimeout(() => {
      if (closed) return;
      options.onHeartbeat?.();
      void writeRaw(heartbeatFrame);
    }, options.heartbeatIntervalMs);
    timer.unref();
  };

  const writeRaw = async (text: string): Promise<void> => {
    if (closed) return;
    channel.commit();
    armHeartbeat();
    if (!stream.write(text)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stream.off('drain', done);
          stream.off('close', done);
          resolve();
        };
        stream.once('drain', done);
        stream.once('close', done);
      });
    }
  };

  const channel: SseChannel = {
    get committed() {
      return committed;
    },
    get closed() {
      return closed;
    },
    commit(extraHeaders = {}) {
      if (committed) return;
      committed = true;
      reply
        .code(200)
        .headers({
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          ...extraHeaders,
        })
        .send(stream);
    },
    async write(frames) {
      if (frames.length === 0) return;
      await writeRaw(frames.join(''));
    },
    ping: () => {
      options.onHeartbeat?.();
      return writeRaw(heartbeatFrame);
    },
    end() {
      if (timer) clearTimeout(timer);
      if (!committed) channel.commit();
      closed = true;
      stream.end();
    },
  };
  return channel;
}
