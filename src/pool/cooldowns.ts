/**
 * Cooldowns per account and per (account, model), checked lazily: an expired cooldown is noticed (logged,
 * reported, and for validation blocks cleared in the store) the next time anyone looks, so no timer or scan
 * is needed.
 */
import type { Cooldown, PoolEntry } from './account-entry.ts';
import { type PoolContext, persistInBackground } from './context.ts';

/** Hands a cooldown this gateway started to the other gateways of a shared pool. */
export function shareCooldown(
  context: PoolContext,
  accountId: string,
  modelKey: string | undefined,
  cooldown: Cooldown,
): void {
  context.shared.publish({
    kind: 'cooldown',
    cooldown: {
      accountId,
      ...(modelKey === undefined ? {} : { model: modelKey }),
      untilMs: cooldown.untilMs,
      reason: cooldown.reason,
      ...(cooldown.message === undefined ? {} : { message: cooldown.message }),
      ...(cooldown.url === undefined ? {} : { url: cooldown.url }),
    },
  });
}

function describeWait(untilMs: number, nowMs: number): string {
  return `${Math.max(0, Math.ceil((untilMs - nowMs) / 1_000))}s`;
}

/** Starts (or extends) an account-wide cooldown. */
export function setAccountBlock(context: PoolContext, entry: PoolEntry, cooldown: Cooldown): void {
  const current = entry.accountBlock;
  // A longer block already in place stays; the shorter one would change nothing.
  if (current !== undefined && current.untilMs >= cooldown.untilMs) return;
  entry.accountBlock = cooldown;
  shareCooldown(context, entry.id, undefined, cooldown);
  const nowMs = context.clock.now();
  context.logger.warn(
    { accountId: entry.id, reason: cooldown.reason, until: new Date(cooldown.untilMs).toISOString() },
    `Account ${entry.email} cooling down for ${describeWait(cooldown.untilMs, nowMs)} (${cooldown.reason})`,
  );
  context.emit({ type: 'cooldown-start', accountId: entry.id, reason: cooldown.reason, untilMs: cooldown.untilMs });
}

/** Starts a cooldown of one model on one account; returns the cooldown it replaced (for undo). */
export function setModelCooldown(
  context: PoolContext,
  entry: PoolEntry,
  modelKey: string,
  cooldown: Cooldown,
): Cooldown | undefined {
  const previous = entry.modelCooldowns.get(modelKey);
  entry.modelCooldowns.set(modelKey, cooldown);
  shareCooldown(context, entry.id, modelKey, cooldown);
  const nowMs = context.clock.now();
  context.logger.warn(
    { accountId: entry.id, model: modelKey, reason: cooldown.reason, until: new Date(cooldown.untilMs).toISOString() },
    `Account ${entry.email} cooling down for ${modelKey} for ${describeWait(cooldown.untilMs, nowMs)} (${cooldown.reason})`,
  );
  context.emit({
    type: 'cooldown-start',
    accountId: entry.id,
    model: modelKey,
    reason: cooldown.reason,
    untilMs: cooldown.untilMs,
  });
  return previous;
}

/** Puts back what a cooldown replaced, if it is still the current one (poisoned-request undo). */
export function undoModelCooldown(
  context: PoolContext,
  entry: PoolEntry,
  modelKey: string,
  cooldown: Cooldown,
  previous: Cooldown | undefined,
): void {
  if (entry.modelCooldowns.get(modelKey) !== cooldown) return;
  if (previous === undefined) entry.modelCooldowns.delete(modelKey);
  else entry.modelCooldowns.set(modelKey, previous);
  context.shared.publish({ kind: 'cooldown-cleared', accountId: entry.id, model: modelKey, untilMs: cooldown.untilMs });
  if (previous !== undefined) shareCooldown(context, entry.id, modelKey, previous);
  context.emit({ type: 'cooldown-end', accountId: entry.id, model: modelKey });
}

function accountBlockEnded(context: PoolContext, entry: PoolEntry, block: Cooldown): void {
  entry.accountBlock = undefined;
  context.emit({ type: 'cooldown-end', accountId: entry.id });
  if (block.reason === 'VALIDATION_REQUIRED') {
    context.logger.info({ accountId: entry.id }, `Validation block expired and cleared for account: ${entry.email}`);
    persistInBackground(context, 'clearValidationBlock', () => context.storage.clearValidationBlock(entry.id));
  } else {
    context.logger.info({ accountId: entry.id, reason: block.reason }, `Account ${entry.email} cooldown ended`);
  }
}

/** Remaining account-wide wait in ms (0 when none); clears an expired block. */
export function accountWaitMs(context: PoolContext, entry: PoolEntry, nowMs: number): number {
  const block = entry.accountBlock;
  if (block === undefined) return 0;
  if (block.untilMs > nowMs) return block.untilMs - nowMs;
  accountBlockEnded(context, entry, block);
  return 0;
}

/** Remaining wait for one model in ms (0 when none); clears an expired cooldown. */
export function modelWaitMs(context: PoolContext, entry: PoolEntry, modelKey: string, nowMs: number): number {
  if (entry.modelCooldowns.size === 0) return 0;
  const cooldown = entry.modelCooldowns.get(modelKey);
  if (cooldown === undefined) return 0;
  if (cooldown.untilMs > nowMs) return cooldown.untilMs - nowMs;
  entry.modelCooldowns.delete(modelKey);
  context.logger.info(
    { accountId: entry.id, model: modelKey },
    `Account ${entry.email} cooldown for ${modelKey} ended`,
  );
  context.emit({ type: 'cooldown-end', accountId: entry.id, model: modelKey });
  return 0;
}

/** Quota protection holds the model back for this account (only while the feature is on). */
export function isProtected(context: PoolContext, entry: PoolEntry, modelKey: string): boolean {
  return context.settings.quotaProtection.enabled && entry.protectedModels.has(modelKey);
}

/** Whether `entry` may serve `modelKey` right now. */
export function isSelectable(context: PoolContext, entry: PoolEntry, modelKey: string, nowMs: number): boolean {
  if (entry.removed || isProtected(context, entry, modelKey)) return false;
  return accountWaitMs(context, entry, nowMs) === 0 && modelWaitMs(context, entry, modelKey, nowMs) === 0;
}

/** How long until `entry` may serve `modelKey`; undefined when waiting will not help (removed or protected). */
export function waitUntilSelectableMs(
  context: PoolContext,
  entry: PoolEntry,
  modelKey: string,
  nowMs: number,
): number | undefined {
  if (entry.removed || isProtected(context, entry, modelKey)) return undefined;
  return Math.max(accountWaitMs(context, entry, nowMs), modelWaitMs(context, entry, modelKey, nowMs));
}
