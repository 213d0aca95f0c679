/**
 * The named account changes (disable, the proxy switch, a refreshed token) as mutations, so every store — the
 * data directory and Redis — applies exactly the same rules inside its own read-modify-write.
 */
import type { Account, TokenData } from './account-schema.ts';
import { disabledReasonMaxBytes, truncateUtf8 } from './truncate.ts';

/** Guards a write against credentials that changed since the caller read them (e.g. the user re-added the account). */
export interface CredentialGuard {
  /** Apply only if the stored refresh_token still equals this one; otherwise the account is returned unchanged. */
  ifRefreshToken?: string;
}

/** Changes a draft in place (returning nothing) or returns a replacement. */
// biome-ignore lint/suspicious/noConfusingVoidType: lets callers pass `(account) => { account.x = 1; }` as well.
export type AccountMutation = (account: Account) => Account | undefined | void;

export function guardHolds(account: Account, guard: CredentialGuard | undefined): boolean {
  return guard?.ifRefreshToken === undefined || account.token.refresh_token === guard.ifRefreshToken;
}

export function disableMutation(
  reason: string,
  guard: CredentialGuard | undefined,
  nowSeconds: number,
): AccountMutation {
  return (account) => {
    if (!guardHolds(account, guard)) return;
    account.disabled = true;
    account.disabled_at = nowSeconds;
    account.disabled_reason = truncateUtf8(reason, disabledReasonMaxBytes);
  };
}

export function proxyDisableMutation(reason: string | undefined, nowSeconds: number): AccountMutation {
  return (account) => {
    account.proxy_disabled = true;
    account.proxy_disabled_at = nowSeconds;
    if (reason === undefined || reason === '') delete account.proxy_disabled_reason;
    else account.proxy_disabled_reason = truncateUtf8(reason, disabledReasonMaxBytes);
  };
}

export const proxyEnableMutation: AccountMutation = (account) => {
  account.proxy_disabled = false;
  delete account.proxy_disabled_reason;
  delete account.proxy_disabled_at;
};

export function persistTokenMutation(
  tokenPatch: Partial<TokenData>,
  guard: CredentialGuard | undefined,
): AccountMutation {
  return (account) => {
    if (!guardHolds(account, guard)) return;
    const rotated =
      typeof tokenPatch.refresh_token === 'string' &&
      tokenPatch.refresh_token !== '' &&
      tokenPatch.refresh_token !== account.token.refresh_token;
    if (rotated && account.disabled && (account.disabled_reason ?? '').startsWith('invalid_grant')) {
      // A refresh with the stored token succeeded and rotated it, so the invalid_grant recorded for that token came
      // from a refresh that lost a race (two gateways refreshing at once while Redis was unreachable): the new token
      // is live, and a changed credential re-enables the account, as a re-add does (the seed rule).
      account.disabled = false;
      delete account.disabled_reason;
      delete account.disabled_at;
    }
    for (const [key, value] of Object.entries(tokenPatch)) {
      if (value === undefined) continue;
      // A refresh response without a refresh_token means "keep the one you have", never "forget it".
      if (key === 'refresh_token' && (typeof value !== 'string' || value === '')) continue;
      (account.token as Record<string, unknown>)[key] = value;
    }
  };
}
