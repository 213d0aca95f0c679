/**
 * Adding or re-adding an account from a refresh token, the way every entry point does it (CLI add, login,
 * import, admin API): onboarding through Google first, storage second, so a token Google refuses stores nothing.
 * The store's upsert applies the re-enable rule of the seed story.
 */
import type { Account, TokenData } from '../store/account-schema.ts';
import { type AccountOnboardingDependencies, addAccountFromRefreshToken } from './account-onboarding.ts';

export interface EnrollmentStore {
  upsert(input: { email: string; name?: string | null | undefined; token: TokenData }): Promise<{
    account: Account;
    outcome: 'added' | 'updated' | 're-enabled';
  }>;
  // biome-ignore lint/suspicious/noConfusingVoidType: the store's mutation may change the draft in place.
  update(id: string, mutate: (account: Account) => Account | undefined | void): Promise<Account>;
}

export interface Enrollment {
  account: Account;
  outcome: 'added' | 'updated' | 're-enabled';
  /** Why the account cannot serve yet (no Cloud Code project); it is stored and retried by the pool. */
  projectError: string | undefined;
}

export async function enrollAccount(
  refreshToken: string,
  google: AccountOnboardingDependencies,
  store: EnrollmentStore,
): Promise<Enrollment> {
  const onboarded = await addAccountFromRefreshToken(refreshToken, google);
  const stored = await store.upsert({ email: onboarded.email, name: onboarded.name, token: onboarded.token });
  const projectError = onboarded.projectError?.message;
  // agw_error records why an account cannot serve; a successful resolution clears an earlier one.
  const account =
    projectError !== undefined || stored.account.agw_error
      ? await store.update(stored.account.id, (draft) => {
          if (projectError === undefined) delete draft.agw_error;
          else draft.agw_error = projectError;
        })
      : stored.account;
  return { account, outcome: stored.outcome, projectError };
}
