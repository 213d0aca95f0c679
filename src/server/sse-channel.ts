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

/**
 * A class, so `opened` and `closed` are prototype getters: an object literal with accessors, made per response, gets
 * a hidden class of its own and kept the reply (the whole request) past young-generation GCs
 * (test/source/young-garbage.test.ts).
 */
class SseChannel implements StreamSink {
  readonly #reply: FastifyReply;
  readonly #stream = new PassThrough();
  readonly #heartbeatFrame: string;
  #opened = false;
  #closed = false;

  constructor(reply: FastifyReply, options: SseChannelOptions) {
    this.#reply = reply;
    this.#heartbeatFrame = options.heartbeatFrame ?? ': ping\n\n';
    reply.raw.once('close', () => {
      this.#closed = true;
      this.#stream.destroy();
    });
  }

  get opened(): boolean {
    return this.#opened;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async write(frames: readonly string[]): Promise<void> {
    if (frames.length > 0) await this.#writeText(frames.join(''));
  }

  ping(): Promise<void> {
    return this.#writeText(this.#heartbeatFrame);
  }

  end(): void {
    this.#open();
    this.#closed = true;
    this.#stream.end();
  }

  #open(): void {
    if (this.#opened) return;
    this.#opened = true;
    this.#reply
      .code(200)
      .headers({
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      .send(this.#stream);
  }

  async #writeText(text: string): Promise<void> {
    if (this.#closed) return;
    this.#open();
    const stream = this.#stream;
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
  }
}

export function createSseChannel(reply: FastifyReply, options: SseChannelOptions = {}): StreamSink {
  return new SseChannel(reply, options);
}
