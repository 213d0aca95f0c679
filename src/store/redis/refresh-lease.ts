/**
 * Refresh single-flight across gateways (the RefreshLease port of src/pool/ports.ts): `agw:lease:<account id>`
 * taken with SET NX PX by the gateway that refreshes; the others wait for the token it stores in the account
 * (announced on `agw:changes`), so 60 requests over three gateways cost Google one refresh.
 *
 * The lease expires by itself, so a gateway killed mid-refresh holds nobody up longer than `leaseMs`; a refresh
 * that outlives its lease is still safe, because token writes and the invalid_grant disable are compare-and-set on
 * the refresh token they started from. When Redis cannot be asked in time, the lease counts as granted: refreshing
 * twice is better than not serving.
 */
import type { RefreshLease, StoredToken } from '../../pool/ports.ts';
import type { RedisConnection } from './connection.ts';
import type { RedisAccountStore } from './redis-account-store.ts';

const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface RedisRefreshLeaseOptions {
  /** Milliseconds a lease lasts (default 10 s: longer than a refresh takes, short enough to survive a crash). */
  leaseMs?: number;
  /** Milliseconds to wait for Redis before refreshing without a lease (default 2 s). */
  answerWithinMs?: number;
}

export function redisRefreshLease(
  connection: RedisConnection,
  store: RedisAccountStore,
  options: RedisRefreshLeaseOptions = {},
): RefreshLease {
  const redis = connection.commands;
  const leaseMs = options.leaseMs ?? 10_000;
  const answerWithinMs = options.answerWithinMs ?? 2_000;
  const key = (accountId: string): string => `${connection.prefix}lease:${accountId}`;

  const stored = async (accountId: string): Promise<StoredToken | undefined> => {
    // A failed read only means "nothing to take over": the caller refreshes itself.
    const account = await store.readStored(accountId).catch(() => undefined);
    if (account === undefined) return undefined;
    return {
      accessToken: account.token.access_token,
      refreshToken: account.token.refresh_token,
      expiresAtMs: account.token.expiry_timestamp * 1_000,
      disabled: account.disabled,
    };
  };

  return {
    async acquire(accountId) {
      if (!connection.connected) return true;
      const answer = redis.set(key(accountId), connection.origin, 'PX', leaseMs, 'NX');
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, answerWithinMs, 'timeout').unref());
      const result = await Promise.race([answer.catch(() => 'timeout' as const), timeout]);
      return result !== null;
    },
    async release(accountId) {
      if (!connection.connected) return;
      await redis.eval(releaseScript, 1, key(accountId), connection.origin);
    },
    stored: (accountId) => (connection.connected ? stored(accountId) : Promise.resolve(undefined)),
    async awaitStored(accountId, staleAccessToken) {
      if (!connection.connected) return undefined;
      const changed = store.nextChange(accountId, leaseMs);
      const now = await stored(accountId);
      if (now !== undefined && (now.accessToken !== staleAccessToken || now.disabled)) return now;
      // The holder's write (or the lease running out, for a holder that died) is what ends the wait.
      const remaining = await redis.pttl(key(accountId)).catch(() => 0);
      await Promise.race([changed, new Promise((resolve) => setTimeout(resolve, Math.max(remaining, 0)).unref())]);
      return stored(accountId);
    },
  };
}
