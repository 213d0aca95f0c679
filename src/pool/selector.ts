/**
 * Chooses the account for one attempt with the configured strategy, and answers "how long until anything is
 * free" when nothing is. A verdict "everything is limited until T" is cached per model, so a storm of requests
 * against a fully cooled pool costs one scan, not one per request.
 */
import type { PoolEntry } from './account-entry.ts';
import type { PoolContext } from './context.ts';
import { isSelectable, waitUntilSelectableMs } from './cooldowns.ts';
import type { Roster } from './roster.ts';
import { pickQuotaAware } from './strategies/quota-aware.ts';
import { RoundRobinCursor } from './strategies/round-robin.ts';
import { StickySessions } from './strategies/sticky-sessions.ts';

interface LimitedVerdict {
  readonly version: number;
  /** Epoch ms when the first account frees up; Infinity when none ever will (all protected). */
  readonly untilMs: number;
}

/** The ranking's leading run of accounts that cannot serve the model before `untilMs`. */
interface SkipHint {
  readonly version: number;
  readonly ranked: readonly PoolEntry[];
  readonly start: number;
  readonly untilMs: number;
}

const noneExcluded: ReadonlySet<string> = new Set();

export class Selector {
  readonly sessions = new StickySessions();
  private readonly cursor = new RoundRobinCursor();
  private readonly limited = new Map<string, LimitedVerdict>();
  private readonly skipHints = new Map<string, SkipHint>();

  private readonly context: PoolContext;
  private readonly roster: Roster;

  constructor(context: PoolContext, roster: Roster) {
    this.context = context;
    this.roster = roster;
  }

  /** The account for the next attempt, skipping `exclude`; undefined when none is selectable now. */
  select(
    modelKey: string,
    sessionKey: string | undefined,
    exclude: ReadonlySet<string>,
    nowMs: number,
  ): PoolEntry | undefined {
    const { context, roster } = this;
    const settings = context.settings;
    const selectable = (entry: PoolEntry): boolean =>
      !exclude.has(entry.id) && isSelectable(context, entry, modelKey, nowMs);
    if (settings.strategy === 'sticky' && sessionKey !== undefined) {
      const boundId = this.sessions.lookup(sessionKey, nowMs, settings.stickyTtlSeconds * 1_000);
      const bound = boundId === undefined ? undefined : roster.byId.get(boundId);
      if (bound !== undefined && selectable(bound)) return bound;
    }
    const verdict = this.limited.get(modelKey);
    if (verdict !== undefined && verdict.version === roster.availabilityVersion && nowMs < verdict.untilMs) {
      return undefined;
    }
    const chosen =
      settings.strategy === 'round-robin'
        ? this.cursor.pick(roster.order, selectable)
        : pickQuotaAware(
            roster.ranking(modelKey, settings.unknownQuotaPercentage),
            modelKey,
            selectable,
            context.random,
            settings.choiceWidth,
            settings.unknownQuotaPercentage,
            this.rankingStart(modelKey, roster.ranking(modelKey, settings.unknownQuotaPercentage), nowMs),
          );
    if (chosen === undefined && exclude.size === 0) this.shortestWaitMs(modelKey, nowMs);
    return chosen;
  }

  /**
   * Where the ranking walk may start: the best-ranked accounts that are cooling (the usual case after a quota
   * wave) are skipped once and remembered until the first of them frees up, so later walks do not pass them again.
   */
  private rankingStart(modelKey: string, ranked: readonly PoolEntry[], nowMs: number): number {
    const version = this.roster.availabilityVersion;
    const hint = this.skipHints.get(modelKey);
    let start = 0;
    let untilMs = Number.POSITIVE_INFINITY;
    if (hint !== undefined && hint.version === version && hint.ranked === ranked && nowMs < hint.untilMs) {
      start = hint.start;
      untilMs = hint.untilMs;
    }
    const first = start;
    while (start < ranked.length) {
      const wait = waitUntilSelectableMs(this.context, ranked[start] as PoolEntry, modelKey, nowMs);
      if (wait === 0) break;
      if (wait !== undefined) untilMs = Math.min(untilMs, nowMs + wait);
      start += 1;
    }
    if (start !== first || hint === undefined || hint.version !== version || hint.ranked !== ranked) {
      if (this.skipHints.size >= 256) this.skipHints.clear();
      this.skipHints.set(modelKey, { version, ranked, start, untilMs });
    }
    return start;
  }

  /** Same as select but ignores sessions and exclusions: any account that may serve the model now. */
  selectAny(modelKey: string, nowMs: number): PoolEntry | undefined {
    return this.select(modelKey, undefined, noneExcluded, nowMs);
  }

  /**
   * Milliseconds until some account may serve `modelKey` (0 if one may now); undefined when waiting cannot help.
   * Scans the pool only when the cached verdict is stale.
   */
  shortestWaitMs(modelKey: string, nowMs: number): number | undefined {
    const cached = this.limited.get(modelKey);
    if (cached !== undefined && cached.version === this.roster.availabilityVersion && nowMs < cached.untilMs) {
      return Number.isFinite(cached.untilMs) ? cached.untilMs - nowMs : undefined;
    }
    let shortest = Number.POSITIVE_INFINITY;
    for (const entry of this.roster.order) {
      const wait = waitUntilSelectableMs(this.context, entry, modelKey, nowMs);
      if (wait !== undefined && wait < shortest) shortest = wait;
      if (shortest === 0) break;
    }
    if (shortest > 0) {
      if (this.limited.size >= 256) this.limited.clear();
      this.limited.set(modelKey, { version: this.roster.availabilityVersion, untilMs: nowMs + shortest });
    }
    return Number.isFinite(shortest) ? shortest : undefined;
  }

  /** Remembers which account served a session. */
  bindSession(sessionKey: string, accountId: string, nowMs: number): void {
    const settings = this.context.settings;
    if (settings.strategy !== 'sticky') return;
    this.sessions.bind(sessionKey, accountId, nowMs, settings.maxStickySessions);
  }
}
