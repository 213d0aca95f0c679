/**
 * Session → account bindings with a TTL and a size cap. A Map keeps insertion order and every touch re-inserts,
 * so the oldest binding is always first: expiry and eviction look only at the head (no scans, bounded memory).
 */
export class StickySessions {
  private readonly bindings = new Map<string, { accountId: string; lastUsedMs: number }>();

  get size(): number {
    return this.bindings.size;
  }

  /** The bound account, if the binding is still alive. */
  lookup(sessionKey: string, nowMs: number, ttlMs: number): string | undefined {
    this.evictExpired(nowMs, ttlMs);
    const binding = this.bindings.get(sessionKey);
    if (binding === undefined) return undefined;
    if (nowMs - binding.lastUsedMs > ttlMs) {
      this.bindings.delete(sessionKey);
      return undefined;
    }
    return binding.accountId;
  }

  /** Binds (or re-binds and refreshes) a session after a successful answer. */
  bind(sessionKey: string, accountId: string, nowMs: number, maxSessions: number): void {
    this.bindings.delete(sessionKey);
    this.bindings.set(sessionKey, { accountId, lastUsedMs: nowMs });
    while (this.bindings.size > Math.max(1, maxSessions)) {
      const oldest = this.bindings.keys().next();
      if (oldest.done === true) break;
      this.bindings.delete(oldest.value);
    }
  }

  private evictExpired(nowMs: number, ttlMs: number): void {
    // A few per call keeps the cost constant; steady traffic drains any backlog quickly.
    for (let index = 0; index < 4; index += 1) {
      const oldest = this.bindings.entries().next();
      if (oldest.done === true) return;
      const [key, binding] = oldest.value;
      if (nowMs - binding.lastUsedMs <= ttlMs) return;
      this.bindings.delete(key);
    }
  }
}
