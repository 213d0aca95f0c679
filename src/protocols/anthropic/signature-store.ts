/**
 * Memory of the thought signatures the upstream issued, so that agw only ever sends back a signature it can vouch
 * for: one it saw in an answer of the same conversation, for the same model family. Bounded by entry count (least
 * recently used goes first) and by age, with an injected clock so tests need no timers.
 */
import type { ModelFamily } from '../models.ts';

export interface SignatureStoreOptions {
  /** Most signatures kept; the least recently used is evicted beyond it. */
  maxEntries: number;
  /** How long a signature stays valid after it was last seen, in milliseconds. */
  ttlMs: number;
  /** Milliseconds since the epoch; injected for tests. */
  now: () => number;
}

export interface SignatureRecord {
  sessionKey: string;
  accountId: string;
  family: ModelFamily;
  toolCallId: string | undefined;
}

export interface SignatureStore {
  /** Records a signature the upstream issued in `sessionKey` through `accountId` for a `family` model. */
  remember(sessionKey: string, accountId: string, family: ModelFamily, signature: string, toolCallId?: string): void;
  /**
   * Whether `signature` was issued in this session for this family. `accountId` narrows the check to one account
   * when given; without it any account of the pool counts.
   */
  isKnown(sessionKey: string, accountId: string | undefined, family: ModelFamily, signature: string): boolean;
  /** The family that issued `signature` in this session, or undefined when agw never saw it. */
  familyOf(sessionKey: string, signature: string): ModelFamily | undefined;
  /** The most recent signature of this session (and account, when given) for the family. */
  latest(sessionKey: string, accountId: string | undefined, family: ModelFamily): string | undefined;
  /** The signature that came with tool call `toolCallId` (Gemini puts signatures on function calls). */
  forToolCall(sessionKey: string, toolCallId: string, family: ModelFamily): string | undefined;
  /** Forgets a session, e.g. after the upstream rejected one of its signatures. */
  forget(sessionKey: string): void;
  /** Number of signatures held. */
  size(): number;
}

interface Entry extends SignatureRecord {
  signature: string;
  expiresAt: number;
}

/** Creates an empty, bounded signature store. */
export function createSignatureStore(options: SignatureStoreOptions): SignatureStore {
  const maxEntries = Math.max(1, Math.floor(options.maxEntries));
  // Map iteration order is insertion order: re-inserting on use makes the first key the least recently used.
  const entries = new Map<string, Entry>();
  const keyOf = (sessionKey: string, signature: string): string => `${sessionKey}\u0000${signature}`;

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= options.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  const newestMatching = (predicate: (entry: Entry) => boolean): Entry | undefined => {
    const now = options.now();
    let found: Entry | undefined;
    for (const entry of entries.values()) {
      if (entry.expiresAt > now && predicate(entry)) found = entry;
    }
    return found;
  };

  return {
    remember(sessionKey, accountId, family, signature, toolCallId) {
      if (signature === '') return;
      const key = keyOf(sessionKey, signature);
      const previous = entries.get(key);
      entries.delete(key);
      entries.set(key, {
        sessionKey,
        accountId,
        family,
        signature,
        toolCallId: toolCallId ?? previous?.toolCallId,
        expiresAt: options.now() + options.ttlMs,
      });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
    },
    isKnown(sessionKey, accountId, family, signature) {
      const entry = live(keyOf(sessionKey, signature));
      if (entry === undefined || entry.family !== family) return false;
      return accountId === undefined || entry.accountId === accountId;
    },
    familyOf(sessionKey, signature) {
      return live(keyOf(sessionKey, signature))?.family;
    },
    latest(sessionKey, accountId, family) {
      return newestMatching(
        (entry) =>
          entry.sessionKey === sessionKey &&
          entry.family === family &&
          (accountId === undefined || entry.accountId === accountId),
      )?.signature;
    },
    forToolCall(sessionKey, toolCallId, family) {
      return newestMatching(
        (entry) => entry.sessionKey === sessionKey && entry.family === family && entry.toolCallId === toolCallId,
      )?.signature;
    },
    forget(sessionKey) {
      for (const [key, entry] of entries) if (entry.sessionKey === sessionKey) entries.delete(key);
    },
    size() {
      return entries.size;
    },
  };
}
