/**
 * The ONE account-state judgement. The pool loads accounts by it, and the CLI, the admin API and the console show
 * accounts by it, so a file can never be served by the pool and shown as out of rotation (or the other way round).
 *
 * Rules (accounts-tokens-pool.md §2.7), in the pool's load order:
 * 1. `disabled` → disabled (out until re-added with a new token).
 * 2. `proxy_disabled` → proxy-disabled, EXCEPT the legacy reason `quota_protection`: the reference migrates that
 *    flag to per-model protection on load, so it is read as protected models, not as a manual switch.
 * 3. `quota.is_forbidden` → forbidden.
 * 4. `validation_blocked` with an end in the future → validation-blocked (loaded, held back until the end); an
 *    ended block (or one without an end) is cleared and the account is active.
 * 5. `agw_error` while the account has no project → project-unresolved (loaded: the pool tries again on use).
 * 6. Otherwise active. Quota protection never changes the state: it holds back single models.
 *
 * Runtime facts only a running pool knows (cooldowns, refresh failures, a block set this run) are layered on top
 * by {@link shownState}.
 */
import type { QuotaProtectionSettings } from '../pool/settings.ts';
import type { Account } from '../store/account-schema.ts';
import type { AccountState } from './account-state.ts';
import { protectedModelsOf } from './quota-protection.ts';

/** The legacy whole-account protection reason of the reference (§2.7). */
export const legacyQuotaProtectionReason = 'quota_protection';

export interface AccountJudgement {
  /** The state the file alone gives the account. */
  readonly state: AccountState;
  /** The pool holds the account (a validation block or a missing project hold it back only for a while). */
  readonly loaded: boolean;
  /** Why the state is not `active`. */
  readonly reason?: string;
  /** Epoch ms the state began (disabled, proxy-disabled). */
  readonly sinceMs?: number;
  /** Epoch ms a validation block ends. */
  readonly untilMs?: number;
  /** Verification URL of a validation block. */
  readonly url?: string;
  /** The manual proxy switch as it counts (false for the legacy `quota_protection` reason). */
  readonly proxyDisabled: boolean;
  /** Model keys under the protection threshold (enforced only while protection is enabled). */
  readonly protectedModels: ReadonlySet<string>;
  /** The file carries a validation block that has run out: the store should clear it. */
  readonly validationExpired: boolean;
}

const secondsToMs = (seconds: number | null | undefined): number | undefined => (seconds ? seconds * 1_000 : undefined);

/** Judges one account file at `nowMs`. Pure: the same file and time always give the same answer. */
export function judgeAccount(account: Account, protection: QuotaProtectionSettings, nowMs: number): AccountJudgement {
  const protectedModels = protectedModelsOf(account, protection, nowMs);
  const proxyDisabled = account.proxy_disabled && account.proxy_disabled_reason !== legacyQuotaProtectionReason;
  const validationEndMs = (account.validation_blocked_until ?? 0) * 1_000;
  const validationRunning = account.validation_blocked && nowMs < validationEndMs;
  const common = {
    proxyDisabled,
    protectedModels,
    validationExpired: account.validation_blocked && !validationRunning,
  };
  const judged = (
    state: AccountState,
    loaded: boolean,
    facts: {
      reason?: string | null | undefined;
      sinceMs?: number | undefined;
      untilMs?: number;
      url?: string | null | undefined;
    } = {},
  ): AccountJudgement => ({
    ...common,
    state,
    loaded,
    ...(facts.reason ? { reason: facts.reason } : {}),
    ...(facts.sinceMs === undefined ? {} : { sinceMs: facts.sinceMs }),
    ...(facts.untilMs === undefined ? {} : { untilMs: facts.untilMs }),
    ...(facts.url ? { url: facts.url } : {}),
  });

  if (account.disabled) {
    return judged('disabled', false, {
      reason: account.disabled_reason ?? 'disabled',
      sinceMs: secondsToMs(account.disabled_at),
    });
  }
  if (proxyDisabled) {
    return judged('proxy-disabled', false, {
      reason: account.proxy_disabled_reason ?? 'disabled for the proxy',
      sinceMs: secondsToMs(account.proxy_disabled_at),
    });
  }
  if (account.quota?.is_forbidden === true) {
    return judged('forbidden', false, { reason: account.quota.forbidden_reason ?? 'Google answered 403 Forbidden' });
  }
  if (validationRunning) {
    return judged('validation-blocked', true, {
      reason: account.validation_blocked_reason ?? 'VALIDATION_REQUIRED',
      untilMs: validationEndMs,
      url: account.validation_url,
    });
  }
  if (account.agw_error && !account.token.project_id) {
    return judged('project-unresolved', true, { reason: account.agw_error });
  }
  return judged('active', true);
}

/** What a running pool knows about an account beyond its file (src/pool/status.ts's AccountStatus fits). */
export interface LiveAccountState {
  readonly state: AccountState;
  readonly reason?: string;
  readonly untilMs?: number;
  readonly url?: string;
}

/** States only a running pool can know (they end by themselves), as opposed to the file's switches. */
const runtimeStates: ReadonlySet<AccountState> = new Set([
  'cooling',
  'refresh-failing',
  'project-unresolved',
  'validation-blocked',
]);

/**
 * The state to show: a switch in the file keeps the account out whatever the pool remembers (the file may be newer
 * than the pool's last load); otherwise a runtime state of the pool wins, since it is the more recent fact; else
 * the file's own state.
 */
export function shownState(
  judgement: AccountJudgement,
  live: LiveAccountState | undefined,
): { state: AccountState; reason?: string; untilMs?: number; url?: string } {
  const fromFile = {
    state: judgement.state,
    ...(judgement.reason === undefined ? {} : { reason: judgement.reason }),
    ...(judgement.untilMs === undefined ? {} : { untilMs: judgement.untilMs }),
    ...(judgement.url === undefined ? {} : { url: judgement.url }),
  };
  if (!judgement.loaded || live === undefined || !runtimeStates.has(live.state)) return fromFile;
  return {
    state: live.state,
    ...(live.reason === undefined ? {} : { reason: live.reason }),
    ...(live.untilMs === undefined ? {} : { untilMs: live.untilMs }),
    ...(live.url === undefined ? {} : { url: live.url }),
  };
}
