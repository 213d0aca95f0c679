/**
 * Recorded calls and per-endpoint / per-account counters.
 */
import type { CallCounts, CallFilter, RecordedCall, SharedConnection } from './types.ts';

export class CallRecorder {
  private calls: RecordedCall[] = [];
  private sequence = 0;
  private counters: CallCounts = { total: 0, byEndpoint: {}, byAccount: {}, byBase: {} };
  private readonly limit: number;

  /** Keeps at most `limit` calls (oldest dropped) so a long benchmark does not grow memory without bound. */
  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  record(call: Omit<RecordedCall, 'sequence'>): RecordedCall {
    const recorded = { sequence: ++this.sequence, ...call } as RecordedCall;
    this.calls.push(recorded);
    // Trim in batches: splicing on every call would make the hot path O(limit).
    if (this.calls.length >= this.limit * 2) this.calls.splice(0, this.calls.length - this.limit);
    return recorded;
  }

  /** Counts a call once its account is known (the token endpoint learns it only after parsing the grant). */
  count(call: RecordedCall): void {
    const counters = this.counters;
    counters.total++;
    counters.byEndpoint[call.endpoint] = (counters.byEndpoint[call.endpoint] ?? 0) + 1;
    if (call.base !== undefined) counters.byBase[call.base] = (counters.byBase[call.base] ?? 0) + 1;
    if (call.email !== undefined) {
      const perAccount = counters.byAccount[call.email] ?? {};
      counters.byAccount[call.email] = perAccount;
      perAccount[call.endpoint] = (perAccount[call.endpoint] ?? 0) + 1;
    }
  }

  list(filter?: CallFilter): RecordedCall[] {
    const recent = this.calls.length > this.limit ? this.calls.slice(-this.limit) : this.calls.slice();
    if (filter === undefined) return recent;
    const endpoints =
      filter.endpoint === undefined ? undefined : Array.isArray(filter.endpoint) ? filter.endpoint : [filter.endpoint];
    return recent.filter(
      (call) =>
        (endpoints === undefined || endpoints.includes(call.endpoint)) &&
        (filter.base === undefined || call.base === filter.base) &&
        (filter.email === undefined || call.email === filter.email) &&
        (filter.model === undefined || call.model === filter.model),
    );
  }

  /**
   * v1internal connections (among the kept calls) that carried more than one account's bearer. OAuth calls are
   * left out: one token-endpoint connection serving every account is ordinary.
   */
  sharedConnections(): SharedConnection[] {
    const emails = new Map<number, Set<string>>();
    for (const call of this.list()) {
      if (call.email === undefined || call.base === undefined) continue;
      const seen = emails.get(call.connectionId) ?? new Set<string>();
      seen.add(call.email);
      emails.set(call.connectionId, seen);
    }
    return [...emails]
      .filter(([, seen]) => seen.size > 1)
      .map(([connectionId, seen]) => ({ connectionId, emails: [...seen].sort() }));
  }

  counts(): CallCounts {
    return structuredClone(this.counters);
  }

  clear(): void {
    this.calls = [];
    this.counters = { total: 0, byEndpoint: {}, byAccount: {}, byBase: {} };
  }
}
