/**
 * Applies the pool-state changes of other gateways (src/pool/ports.ts SharedPoolState) to this pool's memory.
 * A cooldown for an account this pool has not loaded yet is kept and applied when the account arrives, so the
 * order of start-up, account reload and state replay does not matter. Nothing here is published again.
 */
import type { Cooldown, PoolEntry } from './account-entry.ts';
import type { PoolContext } from './context.ts';
import type { PoisonDetector } from './poison-detector.ts';
import type { SharedCooldown, SharedStateChange } from './ports.ts';
import type { Roster } from './roster.ts';

/** Upper bound on remembered cooldowns of accounts not (yet) in the pool. */
const maxRemembered = 50_000;

export class SharedChanges {
  /** `accountId \0 model` → the longest cooldown another gateway reported, until it runs out. */
  private readonly remembered = new Map<string, SharedCooldown>();
  private readonly context: PoolContext;
  private readonly roster: Roster;
  private readonly poison: PoisonDetector;

  constructor(context: PoolContext, roster: Roster, poison: PoisonDetector) {
    this.context = context;
    this.roster = roster;
    this.poison = poison;
  }

  apply(change: SharedStateChange): void {
    const nowMs = this.context.clock.now();
    switch (change.kind) {
      case 'poisoned':
        this.poison.markPoisoned(change.fingerprint, change.untilMs, nowMs);
        return;
      case 'cooldown': {
        const { cooldown } = change;
        if (cooldown.untilMs <= nowMs) return;
        const key = keyOf(cooldown.accountId, cooldown.model);
        const known = this.remembered.get(key);
        if (known === undefined || known.untilMs < cooldown.untilMs) {
          this.remembered.delete(key);
          this.remembered.set(key, cooldown);
          while (this.remembered.size > maxRemembered) {
            const oldest = this.remembered.keys().next();
            if (oldest.done === true) break;
            this.remembered.delete(oldest.value);
          }
        }
        const entry = this.roster.byId.get(cooldown.accountId);
        if (entry !== undefined) this.applyCooldown(entry, cooldown);
        return;
      }
      case 'cooldown-cleared': {
        const key = keyOf(change.accountId, change.model);
        if (this.remembered.get(key)?.untilMs === change.untilMs) this.remembered.delete(key);
        const entry = this.roster.byId.get(change.accountId);
        if (entry === undefined) return;
        if (change.model === undefined) {
          if (entry.accountBlock?.untilMs === change.untilMs) entry.accountBlock = undefined;
        } else if (entry.modelCooldowns.get(change.model)?.untilMs === change.untilMs) {
          entry.modelCooldowns.delete(change.model);
        }
        this.roster.availabilityVersion += 1;
        this.context.emit({
          type: 'cooldown-end',
          accountId: change.accountId,
          ...(change.model === undefined ? {} : { model: change.model }),
        });
        return;
      }
    }
  }

  /** After a reload: the accounts that (re)joined get the cooldowns other gateways reported for them. */
  applyRemembered(): void {
    const nowMs = this.context.clock.now();
    for (const [key, cooldown] of this.remembered) {
      if (cooldown.untilMs <= nowMs) {
        this.remembered.delete(key);
        continue;
      }
      const entry = this.roster.byId.get(cooldown.accountId);
      if (entry !== undefined) this.applyCooldown(entry, cooldown);
    }
  }

  private applyCooldown(entry: PoolEntry, shared: SharedCooldown): void {
    const cooldown: Cooldown = {
      untilMs: shared.untilMs,
      reason: shared.reason,
      ...(shared.message === undefined ? {} : { message: shared.message }),
      ...(shared.url === undefined ? {} : { url: shared.url }),
    };
    // Only ever longer: a shorter cooldown from elsewhere changes nothing (the same rule as a local one).
    if (shared.model === undefined) {
      if ((entry.accountBlock?.untilMs ?? 0) >= cooldown.untilMs) return;
      entry.accountBlock = cooldown;
    } else {
      if ((entry.modelCooldowns.get(shared.model)?.untilMs ?? 0) >= cooldown.untilMs) return;
      entry.modelCooldowns.set(shared.model, cooldown);
    }
    this.context.logger.info(
      {
        accountId: entry.id,
        model: shared.model,
        reason: shared.reason,
        until: new Date(shared.untilMs).toISOString(),
      },
      `Account ${entry.email} cooling down${shared.model === undefined ? '' : ` for ${shared.model}`} (${shared.reason}, learned from another gateway)`,
    );
    this.context.emit({
      type: 'cooldown-start',
      accountId: entry.id,
      ...(shared.model === undefined ? {} : { model: shared.model }),
      reason: shared.reason,
      untilMs: shared.untilMs,
    });
  }
}

function keyOf(accountId: string, model: string | undefined): string {
  return `${accountId}\u0000${model ?? ''}`;
}
