/**
 * The pool's ports, wired to the real world: Google for refreshes and projects, the account store for every
 * durable decision, the wall clock. Kept apart from the runtime so each mapping is visible in one place.
 */
import { quotaProtectionFrom } from '../accounts/quota-protection.ts';
import type { GatewayConfig } from '../config/gateway-config.ts';
import type { GoogleClients } from '../google/clients.ts';
import { normalizeModelKey } from '../pool/model-key.ts';
import type { Clock, PoolStorage, ProjectResolver, TokenClient, TokenPatch } from '../pool/ports.ts';
import { defaultPoolSettings, type PoolSettings } from '../pool/settings.ts';
import type { AccountStore } from '../store/account-store.ts';
import { journalRotation } from '../store/token-journal.ts';

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export function poolSettingsFrom(config: GatewayConfig): PoolSettings {
  return {
    ...defaultPoolSettings,
    strategy: config.pool.strategy,
    maxWaitSeconds: config.pool.maxWaitSeconds,
    maxAttempts: config.pool.maxAttempts,
    requestDeadlineMs: config.pool.requestDeadlineMs,
    stickyTtlSeconds: config.pool.stickyTtlSeconds,
    refreshMarginSeconds: config.pool.refreshMarginSeconds,
    poisonThreshold: config.pool.poisonThreshold,
    circuitBreaker: { enabled: config.pool.circuitBreakerEnabled, backoffSteps: config.pool.backoffStepsSeconds },
    quotaProtection: quotaProtectionFrom(config),
  };
}

export function tokenClientFrom(google: GoogleClients): TokenClient {
  return {
    refresh: async (request) => {
      const refreshed = await google.forProxy(request.proxy).oauth.refreshAccessToken({
        refreshToken: request.refreshToken,
      });
      return {
        accessToken: refreshed.accessToken,
        expiresInSeconds: refreshed.expiresInSeconds,
        ...(refreshed.refreshToken === undefined ? {} : { refreshToken: refreshed.refreshToken }),
        ...(refreshed.idToken === undefined ? {} : { idToken: refreshed.idToken }),
      };
    },
  };
}

export function projectResolverFrom(google: GoogleClients): ProjectResolver {
  return {
    resolve: async (accessToken, proxy) =>
      (await google.forProxy(proxy).codeAssist.resolveProject(accessToken)).projectId,
  };
}

/**
 * `onCredentialsReplaced` runs when a disable was skipped because the file already holds a newer refresh token
 * (another process rotated or re-added it): the pool dropped the account and must read it back.
 */
/** Milliseconds a request waits for a shared-store write it needs before it goes on (the write itself goes on). */
const sharedWriteWaitMs = 2_000;

/** Waits for `write` at most `ms`; a write still pending then carries on in the background (queued for Redis). */
async function waitAtMost(write: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(resolve, ms, 'late');
  });
  try {
    const outcome = await Promise.race([write.then(() => 'done' as const), late]);
    // Its failure, if it comes, is the store's to log: the journal already holds a rotated token.
    if (outcome === 'late') void write.catch(() => undefined);
  } finally {
    clearTimeout(timer);
  }
}

export function poolStorageFrom(
  store: AccountStore,
  now: () => number,
  onCredentialsReplaced: () => void = () => undefined,
  options: { shared?: boolean } = {},
): PoolStorage {
  const nowSeconds = (): number => Math.floor(now() / 1000);
  const shared = options.shared === true;
  const tokenFields = (patch: TokenPatch) => ({
    access_token: patch.accessToken,
    expires_in: patch.expiresInSeconds,
    expiry_timestamp: patch.expiryTimestamp,
    ...(patch.refreshToken === undefined ? {} : { refresh_token: patch.refreshToken }),
    ...(patch.idToken === undefined ? {} : { id_token: patch.idToken }),
  });
  return {
    recordRotation: async (id, patch) => {
      if (patch.refreshToken === undefined || patch.refreshToken === patch.basedOnRefreshToken) return;
      // Google already killed the old token: one fsync'd journal line, no lock to wait for.
      await journalRotation(store.dataDir, {
        accountId: id,
        previousRefreshToken: patch.basedOnRefreshToken,
        refreshToken: patch.refreshToken,
        accessToken: patch.accessToken,
        expiresInSeconds: patch.expiresInSeconds,
        expiryTimestamp: patch.expiryTimestamp,
      });
      if (shared) {
        // Several gateways: the other ones refresh from Redis, so the new token is there before anyone uses it.
        // While Redis is down the request goes on after a short wait: the write stays queued, the journal holds it.
        await waitAtMost(
          store.persistToken(id, tokenFields(patch), { ifRefreshToken: patch.basedOnRefreshToken }),
          sharedWriteWaitMs,
        );
      }
    },
    persistToken: async (id, patch) => {
      await store.persistToken(id, tokenFields(patch), { ifRefreshToken: patch.basedOnRefreshToken });
    },
    disable: async (id, reason, basedOnRefreshToken) => {
      const disabling = store
        .disable(id, reason, basedOnRefreshToken === undefined ? undefined : { ifRefreshToken: basedOnRefreshToken })
        .then((account) => {
          if (!account.disabled) onCredentialsReplaced();
        });
      // The request that met invalid_grant goes on to the next account; with Redis down it does not wait for it.
      if (shared) await waitAtMost(disabling, sharedWriteWaitMs);
      else await disabling;
    },
    setValidationBlock: async (id, untilUnix, reason, url) => {
      await store.update(id, (account) => {
        account.validation_blocked = true;
        account.validation_blocked_until = untilUnix;
        account.validation_blocked_reason = reason;
        if (url !== undefined) account.validation_url = url;
      });
    },
    clearValidationBlock: async (id) => {
      await store.update(id, (account) => {
        account.validation_blocked = false;
        delete account.validation_blocked_until;
        delete account.validation_blocked_reason;
        delete account.validation_url;
      });
    },
    markForbidden: async (id, reason) => {
      await store.update(id, (account) => {
        account.proxy_disabled = true;
        account.proxy_disabled_reason = `Forbidden (403): ${reason}`;
        account.proxy_disabled_at = nowSeconds();
        if (account.quota) {
          account.quota.is_forbidden = true;
          account.quota.forbidden_reason = reason;
        }
      });
    },
    setProjectId: async (id, projectId) => {
      await store.update(id, (account) => {
        account.token.project_id = projectId;
        delete account.agw_error;
      });
    },
    setAccountError: async (id, message) => {
      await store.update(id, (account) => {
        if (message === null) delete account.agw_error;
        else account.agw_error = message;
      });
    },
    recordQuotaExhausted: async (id, modelKey, resetTimeIso) => {
      // The pool reports the normalised family key (e.g. `claude`); every stored model of that family is spent
      // until the reset, so quota protection and the console see the family as empty.
      await store.update(id, (account) => {
        if (!account.quota) return;
        const family = account.quota.models.filter((model) => normalizeModelKey(model.name) === modelKey);
        for (const model of family) {
          model.percentage = 0;
          delete model.percentage_unknown;
          model.reset_time = resetTimeIso;
        }
      });
    },
  };
}
