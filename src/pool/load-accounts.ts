/**
 * Applies a fresh list of accounts to the live roster by DIFFING: accounts that stay keep their cooldowns,
 * refreshes in flight and sessions; only what changed is touched, and the live map is never emptied mid-reload
 * (weakness 2). Replaced credentials bump the account's generation so a refresh started earlier is dropped.
 */
import { type AccountJudgement, judgeAccount } from '../accounts/judge-account.ts';
import type { Account } from '../store/account-schema.ts';
import { createEntry, type PoolEntry, quotaByModelOf, tierRankOf } from './account-entry.ts';
import { type PoolContext, persistInBackground } from './context.ts';
import type { ExcludedAccount, Roster } from './roster.ts';

function logSkip(context: PoolContext, excluded: ExcludedAccount): void {
  const { logger } = context;
  const fields = { accountId: excluded.id, state: excluded.state };
  switch (excluded.state) {
    case 'disabled':
      logger.info(fields, `Skipping disabled account: ${excluded.email} (${excluded.reason ?? 'no reason recorded'})`);
      return;
    case 'proxy-disabled':
      logger.info(fields, `Account skipped due to manual disable: ${excluded.email}`);
      return;
    default:
      logger.info(fields, `Account skipped (${excluded.state}): ${excluded.email}`);
  }
}

function updateCredentials(entry: PoolEntry, account: Account): void {
  const token = account.token;
  if (token.refresh_token === entry.refreshToken && token.access_token === entry.accessToken) return;
  const superseded = entry.superseded;
  if (
    superseded !== undefined &&
    token.refresh_token === superseded.refreshToken &&
    token.access_token === superseded.accessToken
  ) {
    // The file was read before our own refresh landed in it: the memory is newer.
    return;
  }
  entry.refreshToken = token.refresh_token;
  entry.accessToken = token.access_token;
  entry.expiresAtMs = token.expiry_timestamp * 1_000;
  entry.generation += 1;
  entry.refreshFlight = undefined;
  entry.superseded = undefined;
  entry.failures.delete('refresh');
  entry.failures.delete('unauthorized');
  const reason = entry.accountBlock?.reason;
  if (reason === 'REFRESH_FAILED' || reason === 'UNAUTHORIZED') entry.accountBlock = undefined;
}

function updateEntry(entry: PoolEntry, account: Account, judgement: AccountJudgement): void {
  entry.email = account.email;
  entry.oauthClientKey = account.token.oauth_client_key ?? undefined;
  const proxyUrl = account.proxy_url ? account.proxy_url : undefined;
  if (proxyUrl !== entry.proxyUrl) {
    entry.proxyUrl = proxyUrl;
    // A new route deserves a fresh try: the old proxy's failures say nothing about it.
    entry.failures.delete('proxy');
    if (entry.accountBlock?.reason === 'PROXY_FAILED') entry.accountBlock = undefined;
  }
  if (account.token.project_id) entry.projectId = account.token.project_id;
  entry.tier = account.quota?.subscription_tier ?? undefined;
  entry.tierRank = tierRankOf(account.quota?.subscription_tier);
  entry.quotaByModel = quotaByModelOf(account);
  entry.protectedModels = new Set(judgement.protectedModels);
  updateCredentials(entry, account);
}

function excludedBy(account: Account, judgement: AccountJudgement): ExcludedAccount {
  return {
    id: account.id,
    email: account.email,
    state: judgement.state,
    ...(judgement.reason === undefined ? {} : { reason: judgement.reason }),
    ...(judgement.sinceMs === undefined ? {} : { atMs: judgement.sinceMs }),
  };
}

/** Loads `accounts` into `roster`; logs each skipped disabled account once per load. */
export function loadAccounts(context: PoolContext, roster: Roster, accounts: readonly Account[]): void {
  const nowMs = context.clock.now();
  const excluded = new Map<string, ExcludedAccount>();
  const seen = new Set<string>();
  for (const account of accounts) {
    if (seen.has(account.id)) continue;
    seen.add(account.id);
    const existing = roster.byId.get(account.id);
    const revokedToken = roster.revoked.get(account.id);
    if (revokedToken !== undefined && revokedToken !== account.token.refresh_token) roster.revoked.delete(account.id);
    const judgement = judgeAccount(account, context.settings.quotaProtection, nowMs);
    // A file read before our own invalid_grant disable landed: the dead token must not come back.
    const skipped: ExcludedAccount | undefined =
      revokedToken === account.token.refresh_token && !account.disabled
        ? (roster.excluded.get(account.id) ?? { id: account.id, email: account.email, state: 'disabled' })
        : judgement.loaded
          ? undefined
          : excludedBy(account, judgement);
    if (skipped !== undefined) {
      excluded.set(account.id, skipped);
      logSkip(context, skipped);
      if (existing !== undefined) roster.remove(existing);
      continue;
    }
    if (judgement.validationExpired) {
      context.logger.info(
        { accountId: account.id },
        `Validation block expired and cleared for account: ${account.email}`,
      );
      persistInBackground(context, 'clearValidationBlock', () => context.storage.clearValidationBlock(account.id));
    }
    let entry = existing;
    if (entry === undefined) {
      entry = createEntry(account, new Set(judgement.protectedModels));
      roster.add(entry);
    } else {
      updateEntry(entry, account, judgement);
    }
    entry.projectError = judgement.state === 'project-unresolved' ? judgement.reason : undefined;
    const blockEndMs = judgement.state === 'validation-blocked' ? judgement.untilMs : undefined;
    if (blockEndMs !== undefined && (entry.accountBlock?.untilMs ?? 0) < blockEndMs) {
      entry.accountBlock = {
        untilMs: blockEndMs,
        reason: 'VALIDATION_REQUIRED',
        message: judgement.reason ?? 'VALIDATION_REQUIRED',
        ...(judgement.url === undefined ? {} : { url: judgement.url }),
      };
    }
  }
  for (const entry of [...roster.order]) if (!seen.has(entry.id)) roster.remove(entry);
  roster.excluded = excluded;
  roster.changed();
  context.logger.info({ usable: roster.size, skipped: excluded.size }, `Account pool loaded: ${roster.size} usable`);
}
