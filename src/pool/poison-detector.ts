/**
 * Poisoned requests: when the same request (by fingerprint) is rejected with a 429 or a 4xx by K different
 * accounts in a row while other requests succeed, the request is the problem, not the accounts. It is failed
 * alone and the cooldowns it caused are undone. Records expire after a window and the map is capped.
 */
import type { Cooldown, PoolEntry } from './account-entry.ts';

export interface CausedCooldown {
  readonly entry: PoolEntry;
  readonly modelKey: string;
  readonly cooldown: Cooldown;
  readonly previous: Cooldown | undefined;
}

interface PoisonRecord {
  readonly accounts: string[];
  readonly caused: CausedCooldown[];
  readonly firstAtMs: number;
  lastAtMs: number;
  poisonedUntilMs: number;
}

/** Upper bound on remembered fingerprints. */
const maxRecords = 10_000;

export class PoisonDetector {
  private readonly records = new Map<string, PoisonRecord>();
  private lastSuccessAtMs = Number.NEGATIVE_INFINITY;

  /** A success clears the request's record and proves the pool works for others. */
  recordSuccess(fingerprint: string | undefined, nowMs: number): void {
    this.lastSuccessAtMs = nowMs;
    if (fingerprint !== undefined) this.records.delete(fingerprint);
  }

  /** Whether any request is being watched; when none is, fingerprints need not be computed to look them up. */
  get watching(): boolean {
    return this.records.size > 0;
  }

  isPoisoned(fingerprint: string, nowMs: number): boolean {
    const record = this.records.get(fingerprint);
    return record !== undefined && record.poisonedUntilMs > nowMs;
  }

  /**
   * Notes a rejection by `accountId`. Returns the cooldowns to undo when this rejection makes the request
   * poisoned, otherwise undefined.
   */
  recordRejection(
    fingerprint: string,
    accountId: string,
    nowMs: number,
    threshold: number,
    windowMs: number,
    caused?: CausedCooldown,
  ): CausedCooldown[] | undefined {
    this.evict(nowMs, windowMs);
    let record = this.records.get(fingerprint);
    if (record === undefined || nowMs - record.lastAtMs > windowMs) {
      record = { accounts: [], caused: [], firstAtMs: nowMs, lastAtMs: nowMs, poisonedUntilMs: 0 };
      this.records.delete(fingerprint);
      this.records.set(fingerprint, record);
      while (this.records.size > maxRecords) {
        const oldest = this.records.keys().next();
        if (oldest.done === true) break;
        this.records.delete(oldest.value);
      }
    }
    record.lastAtMs = nowMs;
    if (!record.accounts.includes(accountId)) record.accounts.push(accountId);
    if (caused !== undefined) record.caused.push(caused);
    const othersSucceeded = this.lastSuccessAtMs >= record.firstAtMs - windowMs;
    if (record.accounts.length < Math.max(1, threshold) || !othersSucceeded) return undefined;
    record.poisonedUntilMs = nowMs + windowMs;
    return record.caused.splice(0);
  }

  /** A verdict another gateway of the shared pool reached: the request fails alone here too until `untilMs`. */
  markPoisoned(fingerprint: string, untilMs: number, nowMs: number): void {
    if (untilMs <= nowMs) return;
    const record = this.records.get(fingerprint);
    if (record !== undefined) {
      record.poisonedUntilMs = Math.max(record.poisonedUntilMs, untilMs);
      return;
    }
    this.records.set(fingerprint, {
      accounts: [],
      caused: [],
      firstAtMs: nowMs,
      lastAtMs: nowMs,
      poisonedUntilMs: untilMs,
    });
    while (this.records.size > maxRecords) {
      const oldest = this.records.keys().next();
      if (oldest.done === true) break;
      this.records.delete(oldest.value);
    }
  }

  private evict(nowMs: number, windowMs: number): void {
    for (let index = 0; index < 4; index += 1) {
      const oldest = this.records.entries().next();
      if (oldest.done === true) return;
      const [key, record] = oldest.value;
      if (nowMs - record.lastAtMs <= windowMs || record.poisonedUntilMs > nowMs) return;
      this.records.delete(key);
    }
  }

  get size(): number {
    return this.records.size;
  }
}
