/**
 * One signal for an outgoing call that aborts when its time budget runs out or when the caller cancels, and lets go
 * of both when the call ends.
 *
 * Why not `AbortSignal.any([caller, AbortSignal.timeout(ms)])`: Node links a composite signal to its sources with
 * WeakRefs and FinalizationRegistry cells that outlive the call. On the generation path that left ~11,000 WeakRefs
 * and 14,500 cells alive after a full GC after 9,000 requests (docs/performance.md, "Added latency at moderate
 * load"). A timer and a listener, both removed by `release()`, leave nothing behind.
 *
 * A class with a function listener, for two measured reasons (docs/performance.md, "What kept finished requests"):
 * an object literal with a `get` accessor made per call gets a hidden class of its own, and an object given to
 * `addEventListener` (a `handleEvent` listener) is wrapped by Node in a closure; either kept the call's whole scope
 * (and through the caller's signal, the request) through every young-generation GC until the next full one.
 * test/source/young-garbage.test.ts keeps both out of src/.
 */
export interface CallDeadline {
  /** Aborted by the timer (reason: a TimeoutError DOMException) or with the caller's reason. */
  readonly signal: AbortSignal;
  /** True when the time budget, not the caller, aborted the call. */
  readonly timedOut: boolean;
  /** Clears the timer and unhooks the caller's signal; idempotent. */
  release(): void;
}

class Deadline implements CallDeadline {
  readonly #controller = new AbortController();
  readonly #callerSignal: AbortSignal | undefined;
  readonly #timeoutMs: number;
  readonly #timer: NodeJS.Timeout;
  readonly #onCallerAbort = (): void => this.#controller.abort(this.#callerSignal?.reason);
  #timedOut = false;
  #released = false;

  constructor(callerSignal: AbortSignal | undefined, timeoutMs: number) {
    this.#callerSignal = callerSignal;
    this.#timeoutMs = timeoutMs;
    // The timer gets this deadline as its argument rather than a closure over it.
    this.#timer = setTimeout(expire, timeoutMs, this);
    this.#timer.unref();
    if (callerSignal?.aborted) this.#onCallerAbort();
    else callerSignal?.addEventListener('abort', this.#onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get timedOut(): boolean {
    return this.#timedOut;
  }

  expire(): void {
    this.#timedOut = true;
    this.#controller.abort(new DOMException(`The call took longer than ${this.#timeoutMs} ms`, 'TimeoutError'));
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    clearTimeout(this.#timer);
    this.#callerSignal?.removeEventListener('abort', this.#onCallerAbort);
  }
}

function expire(deadline: Deadline): void {
  deadline.expire();
}

export function callDeadline(callerSignal: AbortSignal | undefined, timeoutMs: number): CallDeadline {
  return new Deadline(callerSignal, timeoutMs);
}
