/**
 * Shared pool state without anything to share with: one gateway alone (`localPoolState`, `localRefreshLease`),
 * and an in-memory hub that joins several pools of one process — what the pool's tests use to show that a
 * cooldown learned by one pool is honoured by another, with a fake clock and no Redis. The Redis implementation
 * (src/store/redis/) follows the same contract between processes.
 */
import type { RefreshLease, SharedPoolState, SharedStateChange } from './ports.ts';

export const localPoolState: SharedPoolState = {
  publish: () => undefined,
  subscribe: () => () => undefined,
};

export const localRefreshLease: RefreshLease = {
  acquire: async () => true,
  release: async () => undefined,
  stored: async () => undefined,
  awaitStored: async () => undefined,
};

export interface MemoryStateHub {
  /** A member for one pool: what it publishes reaches every other member, synchronously. */
  member(): SharedPoolState;
}

export function createMemoryStateHub(): MemoryStateHub {
  const listeners = new Map<symbol, Set<(change: SharedStateChange) => void>>();
  const history: SharedStateChange[] = [];
  return {
    member() {
      const self = Symbol('member');
      const own = new Set<(change: SharedStateChange) => void>();
      listeners.set(self, own);
      return {
        publish(change) {
          history.push(change);
          for (const [member, set] of listeners) {
            if (member === self) continue;
            for (const listener of set) listener(change);
          }
        },
        subscribe(listener) {
          own.add(listener);
          // The state in force: what the others published before this member joined.
          for (const change of history) listener(change);
          return () => own.delete(listener);
        },
      };
    },
  };
}
