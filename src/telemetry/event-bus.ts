/**
 * A tiny typed publish/subscribe channel for live views (the admin console's tail of requests and account-state
 * changes). Listeners run synchronously in subscription order; one that throws is isolated from the others and
 * from the publisher, because telemetry must never break a request.
 */
export interface EventBus<T> {
  /** Adds a listener and returns the function that removes it. */
  subscribe(listener: (event: T) => void): () => void;
  /** Delivers the event to every listener; returns how many received it without throwing. */
  publish(event: T): number;
  readonly listenerCount: number;
}

export interface EventBusOptions {
  /** Subscriptions beyond this are refused (a leak of admin SSE connections must not grow without bound). */
  maxListeners?: number;
  /** Called with errors thrown by listeners. */
  onListenerError?: (error: unknown) => void;
}

/**
 * Creates an event bus.
 * @throws RangeError when more than `maxListeners` (default 64) listeners subscribe.
 */
export function createEventBus<T>(options: EventBusOptions = {}): EventBus<T> {
  const maxListeners = options.maxListeners ?? 64;
  const listeners = new Set<(event: T) => void>();
  return {
    subscribe(listener) {
      if (listeners.size >= maxListeners) throw new RangeError(`An event bus takes at most ${maxListeners} listeners.`);
      // Wrapping gives each subscription its own identity, so subscribing the same function twice works.
      const entry = (event: T): void => listener(event);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    publish(event) {
      let delivered = 0;
      for (const listener of [...listeners]) {
        try {
          listener(event);
          delivered += 1;
        } catch (error) {
          options.onListenerError?.(error);
        }
      }
      return delivered;
    },
    get listenerCount() {
      return listeners.size;
    },
  };
}
