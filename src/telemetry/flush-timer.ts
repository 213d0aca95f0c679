/**
 * The timer of a write-behind queue (request log, stored responses): it runs `intervalMs` after the first item is
 * queued instead of on a fixed beat, so an idle gateway has no timer waking it (each 250 ms interval woke it four
 * times a second with nothing to write). Items still reach the disk at most `intervalMs` after they were queued.
 */
export class FlushTimer {
  #timer: NodeJS.Timeout | undefined;
  readonly #intervalMs: number;
  readonly #flush: () => unknown;

  /** `intervalMs` 0 or less: the timer never runs (the owner flushes by hand, as tests do). */
  constructor(intervalMs: number, flush: () => unknown) {
    this.#intervalMs = intervalMs;
    this.#flush = flush;
  }

  /** Called after queueing: starts the countdown unless one is already running. */
  arm(): void {
    if (this.#timer !== undefined || this.#intervalMs <= 0) return;
    // A module-level callback with the timer as its argument: no closure made per countdown.
    this.#timer = setTimeout(expire, this.#intervalMs, this);
    this.#timer.unref();
  }

  /** Runs the countdown's flush now (the timer's callback). */
  expire(): void {
    this.#timer = undefined;
    this.#flush();
  }

  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Whether a countdown is running. */
  get armed(): boolean {
    return this.#timer !== undefined;
  }
}

function expire(timer: FlushTimer): void {
  timer.expire();
}
