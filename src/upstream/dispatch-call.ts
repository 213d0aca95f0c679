/**
 * One HTTP call through an undici dispatcher, with the response body as a plain async iterable instead of a Node
 * stream. undici's `request()` wraps every call in an AsyncResource, a Readable body, an end-of-stream watcher and
 * abort listeners; measured on the generation path (docs/performance.md, "Added latency at moderate load") those
 * per-call objects were the largest share of what survived each young-generation GC and so lengthened every pause.
 * The handler here is one class, its body another, and the only listener is a function on the caller's signal,
 * removed when the call settles.
 */
import type { Dispatcher } from 'undici';

export interface DispatchCallOptions {
  readonly origin: string;
  /** Path and query, e.g. `/v1internal:generateContent?alt=sse`. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | AsyncIterable<Uint8Array>;
  readonly signal: AbortSignal;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
}

export interface DispatchAnswer {
  readonly statusCode: number;
  readonly headers: Dispatcher.ResponseData['headers'];
  readonly body: AnswerBody;
}

/** Chunks buffered beyond this pause the socket until the reader catches up. */
const highWaterBytes = 64 * 1024;

interface Waiter {
  resolve(result: IteratorResult<Uint8Array>): void;
  reject(error: unknown): void;
}

/**
 * The body of one answer: read it once with `for await`, or `destroy()` it, which aborts the call and closes its
 * connection when the body has not ended. `onClose` runs once, when the body ends, fails or is destroyed.
 */
export class AnswerBody implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array> {
  #controller: Dispatcher.DispatchController | undefined;
  #chunks: Uint8Array[] = [];
  #bufferedBytes = 0;
  #waiter: Waiter | undefined;
  #error: unknown;
  #ended = false;
  #closed = false;
  #onClose: (() => void) | undefined;

  /** True once the whole body was received (not when it failed or was destroyed). */
  get readableEnded(): boolean {
    return this.#ended && this.#error === undefined;
  }

  /** Runs `listener` once when the body closes (at once if it already has). */
  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.#onClose = listener;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) {
      this.#bufferedBytes -= chunk.length;
      if (this.#bufferedBytes < highWaterBytes && this.#controller?.paused === true) this.#controller.resume();
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended) {
      this.#close();
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** Leaving a `for await` early destroys the body: nobody is left to read the rest. */
  return(): Promise<IteratorResult<Uint8Array>> {
    this.destroy();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Aborts the call if the body has not ended, drops what is buffered and closes. */
  destroy(): void {
    if (!this.#ended) {
      const error = new Error('The upstream body was destroyed before it ended');
      this.#controller?.abort(error);
      this.#fail(error);
    }
    this.#chunks = [];
    this.#bufferedBytes = 0;
    this.#close();
  }

  /** Reads and drops at most `limitBytes` so the connection can be reused; beyond that the body is destroyed. */
  async dump(limitBytes: number): Promise<void> {
    let size = 0;
    for await (const chunk of this) {
      size += chunk.length;
      if (size > limitBytes) break;
    }
  }

  // The handler's side.

  attach(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
  }

  push(chunk: Uint8Array): void {
    if (this.#closed) return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({ value: chunk, done: false });
      return;
    }
    this.#chunks.push(chunk);
    this.#bufferedBytes += chunk.length;
    if (this.#bufferedBytes >= highWaterBytes) this.#controller?.pause();
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
    if (this.#chunks.length === 0) this.#close();
  }

  fail(error: unknown): void {
    if (this.#ended) return;
    this.#fail(error);
    this.#close();
  }

  #fail(error: unknown): void {
    this.#ended = true;
    this.#error = error;
    this.#chunks = [];
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#controller = undefined;
    const listener = this.#onClose;
    this.#onClose = undefined;
    listener?.();
  }
}

/** Receives one call's events from undici and settles its promise, then feeds its body. */
class CallHandler implements Dispatcher.DispatchHandler {
  readonly #resolve: (answer: DispatchAnswer) => void;
  readonly #reject: (error: unknown) => void;
  readonly #signal: AbortSignal;
  #controller: Dispatcher.DispatchController | undefined;
  #body: AnswerBody | undefined;
  #settled = false;

  constructor(signal: AbortSignal, resolve: (answer: DispatchAnswer) => void, reject: (error: unknown) => void) {
    this.#signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  /**
   * The signal's listener, a function: Node wraps an object listener (`handleEvent`) in a closure that kept the
   * whole call alive through young-generation GCs (docs/performance.md, "What kept finished requests").
   */
  readonly #onAbort = (): void => {
    const reason = this.#signal.reason as Error;
    this.#controller?.abort(reason);
    this.#body?.fail(reason);
    this.#settle(reason);
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#signal.aborted) controller.abort(this.#signal.reason as Error);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Dispatcher.ResponseData['headers'],
  ): void {
    // 1xx answers are informational; the real one follows.
    if (statusCode < 200) return;
    const body = new AnswerBody();
    body.attach(controller);
    this.#body = body;
    if (!this.#settled) {
      this.#settled = true;
      this.#resolve({ statusCode, headers, body });
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#body?.push(chunk);
  }

  onResponseEnd(): void {
    this.#body?.end();
    this.#release();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#body?.fail(error);
    this.#settle(error);
  }

  #settle(error: unknown): void {
    this.#release();
    if (this.#settled) return;
    this.#settled = true;
    this.#reject(error);
  }

  #release(): void {
    this.#signal.removeEventListener('abort', this.#onAbort);
    this.#controller = undefined;
  }
}

/** Sends one request; resolves with the status and headers once they arrive, the body still to be read. */
export function dispatchCall(dispatcher: Dispatcher, options: DispatchCallOptions): Promise<DispatchAnswer> {
  if (options.signal.aborted) return Promise.reject(options.signal.reason);
  return new Promise((resolve, reject) => {
    const handler = new CallHandler(options.signal, resolve, reject);
    dispatcher.dispatch(
      {
        origin: options.origin,
        path: options.path,
        method: 'POST',
        headers: options.headers,
        // undici sends any (async) iterable of bytes as a body; its type names only streams.
        body: options.body as Exclude<Dispatcher.DispatchOptions['body'], undefined>,
        headersTimeout: options.headersTimeout,
        bodyTimeout: options.bodyTimeout,
      },
      handler,
    );
  });
}
