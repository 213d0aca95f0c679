/**
 * One server-sent-events response, the relay's stream sink. Nothing reaches the client until the first frame or
 * heartbeat opens it; before that the request can still be answered with a plain error. Frames go through a
 * PassThrough handed to `reply.send`, so Fastify owns the socket lifecycle (no hijack) and a client that goes
 * away is seen through the response's `close` event. The heartbeat timer itself lives in the relay
 * (src/relay/keep-alive.ts); this only writes the dialect's ping frame.
 */
import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { StreamSink } from '../relay/stream-sink.ts';

export interface SseChannelOptions {
  /** The keep-alive frame: a `: ping` comment by default, Anthropic's `event: ping`. */
  heartbeatFrame?: string;
}

export function createSseChannel(reply: FastifyReply, options: SseChannelOptions = {}): StreamSink {
  const stream = new PassThrough();
  let opened = false;
  let closed = false;
  const heartbeatFrame = options.heartbeatFrame ?? ': ping\n\n';

  reply.raw.once('close', () => {
    closed = true;
    stream.destroy();
  });

  const open = (): void => {
    if (opened) return;
    opened = true;
    reply
      .code(200)
      .headers({
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      .send(stream);
  };

  const writeText = async (text: string): Promise<void> => {
    if (closed) return;
    open();
    if (stream.write(text)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        stream.off('drain', done);
        stream.off('close', done);
        resolve();
      };
      stream.once('drain', done);
      stream.once('close', done);
    });
  };

  return {
    get opened() {
      return opened;
    },
    get closed() {
      return closed;
    },
    async write(frames) {
      if (frames.length > 0) await writeText(frames.join(''));
    },
    ping: () => writeText(heartbeatFrame),
    end() {
      open();
      closed = true;
      stream.end();
    },
  };
}
