/**
 * Quota-aware choice: tier first (Ultra > Pro > Free > unknown, strictly), then the most remaining quota for the
 * REQUESTED model, then power-of-two-choices among the best few so concurrent requests do not all land on one
 * account. Accounts without quota data rank with a neutral percentage instead of being excluded (weakness 22).
 */
import type { PoolEntry } from '../account-entry.ts';
import type { RandomSource } from '../ports.ts';

/** Remaining percentage of `entry` for `modelKey`. */
export function quotaFor(entry: PoolEntry, modelKey: string, unknownQuotaPercentage: number): number {
  return entry.quotaByModel.get(modelKey) ?? unknownQuotaPercentage;
}

/** A total order (tier, quota desc, id), so sorting is consistent (weakness 5). */
export function rankForModel(
  entries: readonly PoolEntry[],
  modelKey: string,
  unknownQuotaPercentage: number,
): PoolEntry[] {
  const keyed = entries.map((entry) => ({ entry, quota: quotaFor(entry, modelKey, unknownQuotaPercentage) }));
  keyed.sort((left, right) => {
    if (left.entry.tierRank !== right.entry.tierRank) return left.entry.tierRank - right.entry.tierRank;
    if (left.quota !== right.quota) return right.quota - left.quota;
    return left.entry.id < right.entry.id ? -1 : left.entry.id > right.entry.id ? 1 : 0;
  });
  return keyed.map((item) => item.entry);
}

/**
 * Walks the ranking until `width` selectable accounts of the best available tier are found, then draws two of
 * them and keeps the one with more quota. In steady state this looks at a handful of entries, not the pool.
 */
export function pickQuotaAware(
  ranked: readonly PoolEntry[],
  modelKey: string,
  selectable: (entry: PoolEntry) => boolean,
  random: RandomSource,
  width: number,
  unknownQuotaPercentage: number,
  startIndex = 0,
): PoolEntry | undefined {
  const best: PoolEntry[] = [];
  let tier = -1;
  for (let index = startIndex; index < ranked.length; index += 1) {
    const entry = ranked[index] as PoolEntry;
    if (best.length > 0 && entry.tierRank !== tier) break;
    if (!selectable(entry)) continue;
    if (best.length === 0) tier = entry.tierRank;
    best.push(entry);
    if (best.length >= width) break;
  }
  if (best.length <= 1) return best[0];
  const first = Math.min(best.length - 1, Math.floor(random() * best.length));
  let second = Math.min(best.length - 2, Math.floor(random() * (best.length - 1)));
  if (second >= first) second += 1;
  const left = best[first] as PoolEntry;
  const right = best[second] as PoolEntry;
  return quotaFor(right, modelKey, unknownQuotaPercentage) > quotaFor(left, modelKey, unknownQuotaPercentage)
    ? right
    : left;
}
