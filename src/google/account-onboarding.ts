/**
 * Adding an account from a refresh token (accounts-tokens-pool.md §3.1): refresh → userinfo → project id.
 * Storage is the caller's job (it upserts by email); a project that cannot be resolved does not stop the add —
 * the account is returned with `projectError` so the caller can record why it is not usable yet.
 */
import { GatewayError } from '../errors/catalogue.ts';
import type { TokenData } from '../store/account-schema.ts';
import type { CodeAssistClient } from './code-assist.ts';
import type { OAuthClient } from './oauth.ts';

export interface AccountOnboardingDependencies {
  oauth: Pick<OAuthClient, 'refreshAccessToken' | 'fetchUserInfo'>;
  codeAssist: Pick<CodeAssistClient, 'resolveProject'>;
  /** Unix milliseconds. */
  now?: () => number;
  signal?: AbortSignal;
}

export interface OnboardedAccount {
  email: string;
  name?: string;
  token: TokenData;
  tier?: string;
  /** Why no project id could be resolved; the token is still valid and worth storing. */
  projectError?: GatewayError;
}

/**
 * Refreshes the given token, reads the account's email and name, and resolves its Cloud Code project.
 * Throws AGW_REFRESH_REVOKED / AGW_REFRESH_FAILED when the token does not work, AGW_OAUTH_FAILED when userinfo fails.
 */
export async function addAccountFromRefreshToken(
  refreshToken: string,
  dependencies: AccountOnboardingDependencies,
): Promise<OnboardedAccount> {
  const now = dependencies.now ?? Date.now;
  const trimmed = refreshToken.trim();
  if (trimmed === '') throw new GatewayError('AGW_INVALID_REQUEST', 'The refresh token is empty');
  const signalOption = dependencies.signal ? { signal: dependencies.signal } : {};
  const refreshed = await dependencies.oauth.refreshAccessToken({ refreshToken: trimmed, ...signalOption });
  const receivedAtSeconds = Math.floor(now() / 1000);
  const user = await dependencies.oauth.fetchUserInfo(refreshed.accessToken, dependencies.signal);

  const token: TokenData = {
    access_token: refreshed.accessToken,
    refresh_token: refreshed.refreshToken ?? trimmed,
    expires_in: refreshed.expiresInSeconds,
    expiry_timestamp: receivedAtSeconds + refreshed.expiresInSeconds,
    token_type: 'Bearer',
    email: user.email,
    oauth_client_key: refreshed.oauthClientKey,
    is_gcp_tos: false,
  };
  if (refreshed.idToken !== undefined) token.id_token = refreshed.idToken;

  const account: OnboardedAccount = { email: user.email, token };
  if (user.name !== undefined) account.name = user.name;
  try {
    const project = await dependencies.codeAssist.resolveProject(refreshed.accessToken, dependencies.signal);
    token.project_id = project.projectId;
    if (project.tier !== undefined) account.tier = project.tier;
  } catch (error) {
    account.projectError = GatewayError.is(error)
      ? error
      : new GatewayError('AGW_PROJECT_UNRESOLVED', 'Could not resolve the Cloud Code project', { cause: error });
  }
  return account;
}
