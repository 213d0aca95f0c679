/**
 * Access tokens: refreshed ahead of expiry, one refresh in flight per account (every caller shares it), results
 * of a refresh started before the credentials were replaced are dropped (generation counter), and a rotated
 * refresh token is made durable (the journal, no lock) before the new access token is handed out; the account
 * file is written in the background, so the requests waiting for the refresh wait for Google only
 * (bench/token-persistence.ts, docs/architecture.md). `invalid_grant` disables the account exactly as the seed
 * story says; every other failure only cools it down.
 */
import { GatewayError, toGatewayError } from '../errors/catalogue.ts';
import { disabledReasonMaxBytes, truncateUtf8 } from '../store/truncate.ts';
import { scrubText } from '../telemetry/redaction.ts';
import { bumpFailure, type PoolEntry } from './account-entry.ts';
import { backoffMs } from './backoff.ts';
import { type PoolContext, persistInBackground } from './context.ts';
import { setAccountBlock } from './cooldowns.ts';
import { coolForProxy } from './failure-effects.ts';
import type { StoredToken } from './ports.ts';
import type { Roster } from './roster.ts';

/** What a client sees when the only accounts that could serve it had revoked refresh tokens (no email). */
export const revokedClientMessage =
  'OAuth refresh failed (invalid_grant): the refresh token is likely revoked or expired; ' +
  're-add the account (OAuth sign-in or a new refresh token) to restore service.';

export interface FreshTokenOptions {
  /** Refresh even though the token looks valid, unless it already differs from `staleToken` (401 handling). */
  readonly force?: boolean;
  readonly staleToken?: string;
}

/** True when the refresh error means the refresh token itself is dead. */
function isInvalidGrant(error: GatewayError): boolean {
  return error.code === 'AGW_REFRESH_REVOKED' || error.message.includes('invalid_grant');
}

async function disableRevoked(
  context: PoolContext,
  roster: Roster,
  entry: PoolEntry,
  errorText: string,
): Promise<void> {
  const { logger } = context;
  logger.warn(
    { accountId: entry.id },
    `Disabling account due to invalid_grant (${entry.email}): refresh_token likely revoked/expired`,
  );
  const reason = truncateUtf8(`invalid_grant: ${errorText}`, disabledReasonMaxBytes);
  const nowMs = context.clock.now();
  // Out of rotation first, synchronously, so no other request can pick it while the file is written.
  roster.remove(entry, { id: entry.id, email: entry.email, state: 'disabled', reason, atMs: nowMs });
  roster.rememberRevoked(entry.id, entry.refreshToken);
  context.emit({ type: 'account-state', accountId: entry.id, state: 'disabled', reason });
  try {
    await context.storage.disable(entry.id, reason, entry.refreshToken);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.error({ accountId: entry.id, error: message }, `Persisting the disable of ${entry.email} failed`);
  }
}

function coolAfterRefreshFailure(context: PoolContext, entry: PoolEntry, errorText: string): void {
  const nowMs = context.clock.now();
  const settings = context.settings;
  const count = bumpFailure(entry, 'refresh', nowMs);
  const waitMs = backoffMs(settings.refreshFailureCooldown, count, context.random, settings.jitterRatio);
  setAccountBlock(context, entry, { untilMs: nowMs + waitMs, reason: 'REFRESH_FAILED', message: errorText });
}

/**
 * In a shared pool, one gateway refreshes an account while the others wait for the token it stores. Returns
 * `refresh` when this gateway should call Google (it holds the lease, or waiting got nowhere), `done` when the
 * entry was updated from another gateway's refresh or left the pool meanwhile.
 */
async function leaseOrAdopt(
  context: PoolContext,
  roster: Roster,
  entry: PoolEntry,
  generation: number,
): Promise<'refresh' | 'leased' | 'done'> {
  const lease = context.refreshLease;
  /** Takes another gateway's stored token when it is newer than ours and fresh; true when it did. */
  const adopt = (stored: StoredToken | undefined): boolean => {
    if (stored === undefined) return false;
    if (stored.disabled) {
      // Another gateway met invalid_grant and disabled the account: out of rotation here too, at once.
      roster.remove(entry, { id: entry.id, email: entry.email, state: 'disabled', atMs: context.clock.now() });
      throw new GatewayError('AGW_REFRESH_REVOKED', revokedClientMessage);
    }
    const marginMs = context.settings.refreshMarginSeconds * 1_000;
    if (stored.accessToken === entry.accessToken || stored.expiresAtMs - marginMs <= context.clock.now()) return false;
    entry.superseded = { refreshToken: entry.refreshToken, accessToken: entry.accessToken };
    entry.accessToken = stored.accessToken;
    entry.refreshToken = stored.refreshToken;
    entry.expiresAtMs = stored.expiresAtMs;
    entry.failures.delete('refresh');
    if (entry.accountBlock?.reason === 'REFRESH_FAILED') entry.accountBlock = undefined;
    context.logger.debug({ accountId: entry.id }, `Took the access token of ${entry.email} from another gateway`);
    return true;
  };
  for (let round = 0; round < 3; round += 1) {
    if (await lease.acquire(entry.id)) {
      // The lease may be free because another gateway has just finished: its token may already be stored.
      if (entry.generation !== generation || entry.removed) {
        await lease.release(entry.id).catch(() => undefined);
        return 'done';
      }
      let adopted = true;
      try {
        adopted = adopt(await lease.stored(entry.id));
      } finally {
        // Taken over (or found disabled, which throws): nothing to refresh, so the lease goes back at once.
        if (adopted) await lease.release(entry.id).catch(() => undefined);
      }
      return adopted ? 'done' : 'leased';
    }
    const stored = await lease.awaitStored(entry.id, entry.accessToken);
    if (entry.generation !== generation || entry.removed) return 'done';
    if (adopt(stored)) return 'done';
  }
  return 'refresh';
}

async function runRefresh(context: PoolContext, roster: Roster, entry: PoolEntry): Promise<void> {
  // The previous token write of this account lands first, so the file never goes back to an older token.
  await entry.tokenWrite;
  const generation = entry.generation;
  const decision = await leaseOrAdopt(context, roster, entry, generation);
  if (decision === 'done') return;
  const release = (): void => {
    if (decision === 'leased') void context.refreshLease.release(entry.id).catch(() => undefined);
  };
  let written: Promise<void> | undefined;
  try {
    written = (await refreshWithGoogle(context, roster, entry, generation))?.written;
  } finally {
    // Held until the new token is stored, so a gateway that takes the lease next finds it and refreshes nothing.
    if (written === undefined) release();
    else void written.finally(release);
  }
}

/** The refresh call itself and what follows from its answer; resolves with the pending token write, if any. */
async function refreshWithGoogle(
  context: PoolContext,
  roster: Roster,
  entry: PoolEntry,
  generation: number,
): Promise<{ written: Promise<void> } | undefined> {
  const refreshToken = entry.refreshToken;
  const replaced = (): boolean => entry.generation !== generation;
  const stale = (): boolean => replaced() || entry.removed;
  let result: Awaited<ReturnType<PoolContext['tokenClient']['refresh']>>;
  try {
    result = await context.tokenClient.refresh({
      id: entry.id,
      email: entry.email,
      refreshToken,
      ...(entry.oauthClientKey === undefined ? {} : { oauthClientKey: entry.oauthClientKey }),
      ...(entry.proxyUrl === undefined ? {} : { proxy: entry.proxyUrl }),
    });
  } catch (thrown) {
    if (stale()) {
      // The failure concerns credentials that were replaced meanwhile; it says nothing about the new ones.
      context.emit({ type: 'refresh', accountId: entry.id, outcome: 'stale' });
      return undefined;
    }
    const error = toGatewayError(thrown);
    const errorText = scrubText(error.message);
    if (error.code === 'AGW_ACCOUNT_PROXY_FAILED') {
      // The proxy is down, not the token: no refresh-failure mark, the account cools down as its route failed.
      context.emit({ type: 'refresh', accountId: entry.id, outcome: 'failed' });
      coolForProxy(context, entry, errorText);
      throw error;
    }
    context.logger.error({ accountId: entry.id }, `Token 刷新失败 (${entry.email}): ${errorText}，尝试下一个账号`);
    if (isInvalidGrant(error)) {
      context.emit({ type: 'refresh', accountId: entry.id, outcome: 'revoked' });
      await disableRevoked(context, roster, entry, errorText);
      throw new GatewayError('AGW_REFRESH_REVOKED', revokedClientMessage);
    }
    context.emit({ type: 'refresh', accountId: entry.id, outcome: 'failed' });
    coolAfterRefreshFailure(context, entry, errorText);
    throw new GatewayError('AGW_REFRESH_FAILED', 'Refreshing an account access token failed; the account cools down.', {
      ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
    });
  }
  if (replaced()) {
    // The user stored other credentials meanwhile: these results are about tokens nobody uses any more.
    context.emit({ type: 'refresh', accountId: entry.id, outcome: 'stale' });
    return undefined;
  }
  const nowMs = context.clock.now();
  const expiresAtMs = nowMs + result.expiresInSeconds * 1_000;
  const patch = {
    accessToken: result.accessToken,
    expiresInSeconds: result.expiresInSeconds,
    expiryTimestamp: Math.floor(expiresAtMs / 1_000),
    basedOnRefreshToken: refreshToken,
    ...(result.refreshToken === undefined ? {} : { refreshToken: result.refreshToken }),
    ...(result.idToken === undefined ? {} : { idToken: result.idToken }),
  };
  // Saved even when the account left the pool meanwhile (switched off): a rotated token is the only live one.
  if (result.refreshToken !== undefined && result.refreshToken !== refreshToken) {
    try {
      // Durable before use: a rotated refresh token that only lived in memory would be lost by a crash.
      await context.storage.recordRotation(entry.id, patch);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      context.logger.error(
        { accountId: entry.id, error: message },
        `Recording the rotated refresh token of ${entry.email} failed`,
      );
    }
  }
  // The account file is not needed to use the token (the memory is the pool's truth, the journal covers a
  // crash), so the requests waiting for this refresh do not wait for the store's lock and atomic write.
  const written = persistInBackground(context, 'persistToken', () => context.storage.persistToken(entry.id, patch));
  entry.tokenWrite = written;
  if (stale()) {
    context.emit({ type: 'refresh', accountId: entry.id, outcome: 'stale' });
    return { written };
  }
  entry.superseded = { refreshToken: entry.refreshToken, accessToken: entry.accessToken };
  entry.accessToken = result.accessToken;
  entry.expiresAtMs = expiresAtMs;
  if (result.refreshToken !== undefined) entry.refreshToken = result.refreshToken;
  entry.failures.delete('refresh');
  if (entry.accountBlock?.reason === 'REFRESH_FAILED') entry.accountBlock = undefined;
  context.emit({ type: 'refresh', accountId: entry.id, outcome: 'ok' });
  context.logger.debug({ accountId: entry.id }, `Refreshed the access token of ${entry.email}`);
  return { written };
}

function needsRefresh(context: PoolContext, entry: PoolEntry, options: FreshTokenOptions): boolean {
  if (options.force === true) return options.staleToken === undefined || entry.accessToken === options.staleToken;
  return context.clock.now() >= entry.expiresAtMs - context.settings.refreshMarginSeconds * 1_000;
}

/**
 * A usable access token for `entry`, refreshing it (single-flight) when due. Returns undefined when the account
 * left the pool meanwhile; throws AGW_REFRESH_REVOKED / AGW_REFRESH_FAILED after handling the failure.
 */
export async function freshAccessToken(
  context: PoolContext,
  roster: Roster,
  entry: PoolEntry,
  options: FreshTokenOptions = {},
): Promise<string | undefined> {
  // Three rounds: a reload can replace the credentials while we wait; then the new ones are judged afresh.
  for (let round = 0; round < 3; round += 1) {
    if (entry.removed) return undefined;
    if (!needsRefresh(context, entry, options)) return entry.accessToken;
    if (entry.refreshFlight === undefined) {
      const flight: Promise<void> = runRefresh(context, roster, entry).finally(() => {
        if (entry.refreshFlight === flight) entry.refreshFlight = undefined;
      });
      entry.refreshFlight = flight;
    }
    await entry.refreshFlight;
    if (entry.removed) return undefined;
    if (!needsRefresh(context, entry, options)) return entry.accessToken;
  }
  return entry.removed ? undefined : entry.accessToken;
}
