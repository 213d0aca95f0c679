/**
 * Background rounds (the quota refresh, the warm-up): one round at a time, whoever asks for it (the timer, the
 * admin API, the CLI through a running gateway), and a timer that starts the next round only after the previous one
 * ended, so a slow round is never stacked under the next.
 */

export interface SerialRounds<Arguments extends unknown[], Outcome> {
  /** Runs a round once the one in progress, if any, has ended; a failed round does not stop the next one. */
  run(...round: Arguments): Promise<Outcome>;
  /** Resolves once no round is running (a failure included). */
  idle(): Promise<void>;
}

export function serialRounds<Arguments extends unknown[], Outcome>(
  round: (...round: Arguments) => Promise<Outcome>,
): SerialRounds<Arguments, Outcome> {
  let running: Promise<Outcome> | undefined;
  return {
    run(...args) {
      const previous = running ?? Promise.resolve(undefined);
      const current = previous.catch(() => undefined).then(() => round(...args));
      running = current.finally(() => {
        if (running === current) running = undefined;
      });
      return current;
    },
    async idle() {
      await running?.catch(() => undefined);
    },
  };
}

export interface RoundTimer {
  /** Arms the first round after `firstDelayMs()`; does nothing when already started. */
  start(): void;
  /** Disarms the timer; a round in progress goes on (the owner waits for it if it must). */
  stop(): void;
}

export function roundTimer(options: {
  firstDelayMs: () => number;
  /** Read after each round, so a changed setting takes effect from the next one. */
  nextDelayMs: () => number;
  tick: () => Promise<unknown>;
  onError: (error: unknown) => void;
}): RoundTimer {
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void options
        .tick()
        .catch(options.onError)
        .finally(() => schedule(options.nextDelayMs()));
    }, delayMs);
    timer.unref();
  };
  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(options.firstDelayMs());
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
