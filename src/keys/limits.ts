/**
 * The two per-key limits, as pure bookkeeping over an injected clock (tests move time instead of sleeping):
 *
 * - requests per minute: a sliding window of the last 60 s of accepted requests (a fixed window would let a key
 *   send twice its limit across a minute boundary);
 * - tokens per UTC day: input plus output tokens of the key's requests since 00:00 UTC, seeded from the request
 *   log (so a restart forgets nothing) and then counted as requests finish. A request is checked before it runs,
 *   when its size is unknown, so the one that crosses the limit completes and the next is refused.
 */

const minuteMs = 60_000;
const dayMs = 86_400_000;

export function utcDayStart(now: number): number {
  return Math.floor(now / dayMs) * dayMs;
}

/** Whole seconds until the next 00:00 UTC, at least 1 (Retry-After for a spent daily budget). */
export function secondsUntilNextUtcDay(now: number): number {
  return Math.max(1, Math.ceil((utcDayStart(now) + dayMs - now) / 1000));
}

export interface MinuteWindows {
  /**
   * Counts a request of `keyId` when fewer than `limit` were accepted in the last minute and returns 0; otherwise
   * counts nothing and returns the seconds until the oldest of them leaves the window.
   */
  take(keyId: string, limit: number): number;
  /** Forgets keys that are gone (revoked, deleted). */
  retain(keyIds: ReadonlySet<string>): void;
}

export function createMinuteWindows(now: () => number): MinuteWindows {
  // Times of accepted requests, oldest first; never longer than the key's limit.
  const windows = new Map<string, number[]>();
  return {
    take(keyId, limit) {
      const time = now();
      const accepted = windows.get(keyId) ?? [];
      while (accepted.length > 0 && (accepted[0] as number) <= time - minuteMs) accepted.shift();
      if (accepted.length >= limit) {
        windows.set(keyId, accepted);
        return Math.max(1, Math.ceil(((accepted[0] as number) + minuteMs - time) / 1000));
      }
      accepted.push(time);
      windows.set(keyId, accepted);
      return 0;
    },
    retain(keyIds) {
      for (const keyId of windows.keys()) if (!keyIds.has(keyId)) windows.delete(keyId);
    },
  };
}

export interface DailyTokens {
  /** Tokens the key used today (UTC); seeds from `usedToday` once per day. */
  used(keyId: string): number;
  /** Adds a finished request's tokens, when it belongs to the day the ledger counts. */
  add(keyId: string, tokens: number, time: number): void;
}

/**
 * @param usedToday every key's tokens since `dayStart`, read from the request log (rows still queued included);
 *   read once per UTC day, lazily, at the first check of that day.
 */
export function createDailyTokens(options: {
  now: () => number;
  usedToday: (dayStart: number) => ReadonlyMap<string, number>;
}): DailyTokens {
  let day = Number.NaN;
  let ledger = new Map<string, number>();
  const current = (): Map<string, number> => {
    const today = utcDayStart(options.now());
    if (today !== day) {
      ledger = new Map(options.usedToday(today));
      day = today;
    }
    return ledger;
  };
  return {
    used: (keyId) => current().get(keyId) ?? 0,
    add(keyId, tokens, time) {
      // Before the first check of the day the ledger is not seeded: the seed will read this request from the log.
      if (utcDayStart(time) !== day || !(tokens > 0)) return;
      ledger.set(keyId, (ledger.get(keyId) ?? 0) + tokens);
    },
  };
}
