/**
 * The set of live accounts: a map by id, a dense array for rotation, per-model rankings for quota-aware
 * choice (built lazily, once per load), and the accounts the pool holds back, for status.
 */
import type { AccountState } from '../accounts/account-state.ts';
import type { PoolEntry } from './account-entry.ts';
import { rankForModel } from './strategies/quota-aware.ts';

export interface ExcludedAccount {
  readonly id: string;
  readonly email: string;
  /** The switch that keeps it out (disabled, proxy-disabled, forbidden). */
  readonly state: AccountState;
  readonly reason?: string;
  /** Epoch ms: when it was disabled. */
  readonly atMs?: number;
  /** Epoch ms: when a validation block ends. */
  readonly untilMs?: number;
  readonly url?: string;
}

export class Roster {
  readonly byId = new Map<string, PoolEntry>();
  readonly order: PoolEntry[] = [];
  excluded = new Map<string, ExcludedAccount>();
  /**
   * Account id → the refresh token that was answered invalid_grant. A reload that read the file before the
   * disable landed would otherwise bring the dead token back; a different token re-admits the account.
   */
  readonly revoked = new Map<string, string>();
  /** Bumped on every change that can make an account selectable again (caches key on it). */
  availabilityVersion = 0;
  private rankingVersion = 0;
  private readonly rankings = new Map<string, { version: number; ranked: PoolEntry[] }>();

  get size(): number {
    return this.order.length;
  }

  add(entry: PoolEntry): void {
    entry.slot = this.order.length;
    entry.removed = false;
    this.order.push(entry);
    this.byId.set(entry.id, entry);
    this.changed();
  }

  /** Takes an entry out of rotation at once; requests holding it notice `removed` after their awaits. */
  remove(entry: PoolEntry, excluded?: ExcludedAccount): void {
    if (excluded !== undefined) this.excluded.set(entry.id, excluded);
    if (entry.removed || this.byId.get(entry.id) !== entry) return;
    entry.removed = true;
    this.byId.delete(entry.id);
    const last = this.order.pop();
    if (last !== undefined && last !== entry) {
      this.order[entry.slot] = last;
      last.slot = entry.slot;
    }
    entry.slot = -1;
  }

  rememberRevoked(id: string, refreshToken: string): void {
    this.revoked.set(id, refreshToken);
  }

  /** Quota data or membership changed: rankings are rebuilt on next use. */
  changed(): void {
    this.rankingVersion += 1;
    this.availabilityVersion += 1;
  }

  /** Accounts ordered for quota-aware choice of `modelKey` (removed ones are skipped by the caller). */
  ranking(modelKey: string, unknownQuotaPercentage: number): PoolEntry[] {
    const cached = this.rankings.get(modelKey);
    if (cached !== undefined && cached.version === this.rankingVersion) return cached.ranked;
    const ranked = rankForModel(this.order, modelKey, unknownQuotaPercentage);
    // A bounded cache: model keys are families, but a client can send any name.
    if (this.rankings.size >= 256) this.rankings.clear();
    this.rankings.set(modelKey, { version: this.rankingVersion, ranked });
    return ranked;
  }
}
