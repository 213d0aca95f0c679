import type { AccountState, AccountView } from '../api/types.ts';
import { formatTime, formatUntil } from '../format.ts';

/** One badge kind per account state: a state the gateway adds cannot go unshown (the record must list it). */
export type BadgeKind = AccountState;

/** States shown from `state` and `error` (the others have their own flags and fields, judged below). */
type ErrorState = Exclude<AccountState, 'active' | 'cooling' | 'disabled' | 'proxy-disabled' | 'validation-blocked'>;

const errorStateBadges: Record<ErrorState, { label: string; fallback: string }> = {
  'refresh-failing': { label: 'Refresh-failing', fallback: 'Refreshing the access token failed; retried later' },
  'project-unresolved': { label: 'Project-unresolved', fallback: 'No Cloud Code project could be resolved' },
  forbidden: { label: 'Forbidden', fallback: 'Google answered 403' },
};

function isErrorState(state: AccountState): state is ErrorState {
  return Object.hasOwn(errorStateBadges, state);
}

export interface Badge {
  kind: BadgeKind;
  label: string;
  /** The why, shown as visible text under the badge and as its tooltip. */
  detail: string | null;
  link?: { href: string; text: string };
}

/**
 * The badges of an account. Flags are judged separately (an account can be both disabled and proxy-disabled),
 * so the user sees every reason at once, as the seed story asks.
 */
export function badgesOf(account: AccountView, now = Date.now()): Badge[] {
  const badges: Badge[] = [];
  if (account.disabled) {
    const since = account.disabled_at ? ` (since ${formatTime(account.disabled_at)})` : '';
    badges.push({
      kind: 'disabled',
      label: 'Disabled',
      detail: `${account.disabled_reason ?? 'No reason recorded'}${since}. Re-add the account with a new token to enable it.`,
    });
  }
  if (account.proxy_disabled) {
    badges.push({
      kind: 'proxy-disabled',
      label: 'Proxy-disabled',
      detail: account.proxy_disabled_reason ?? 'Switched off for the proxy',
    });
  }
  if (account.validation_blocked) {
    const until = account.validation_blocked_until
      ? `Blocked until ${formatTime(account.validation_blocked_until)}`
      : 'Blocked';
    const badge: Badge = { kind: 'validation-blocked', label: 'Validation-blocked', detail: `${until}.` };
    if (account.validation_url) badge.link = { href: account.validation_url, text: 'Verify the account' };
    badges.push(badge);
  }
  if (isErrorState(account.state)) {
    const badge = errorStateBadges[account.state];
    badges.push({ kind: account.state, label: badge.label, detail: account.error ?? badge.fallback });
  }
  const cooling = account.cooldowns.filter((cooldown) => cooldown.until * 1000 > now || account.state === 'cooling');
  if (cooling.length === 0 && account.state === 'cooling') {
    // Held back as a whole (5xx, 401): no model list, the reason says why.
    badges.push({ kind: 'cooling', label: 'Cooling', detail: account.error ?? 'Held back for a while after errors' });
  } else if (cooling.length > 0) {
    badges.push({
      kind: 'cooling',
      label: 'Cooling',
      detail: cooling
        .map(
          (cooldown) => `${cooldown.model} until ${formatTime(cooldown.until)} (${formatUntil(cooldown.until, now)})`,
        )
        .join('; '),
    });
  }
  if (badges.length === 0) badges.push({ kind: 'active', label: 'Active', detail: null });
  return badges;
}

/** Available = the proxy may pick the account (perhaps not for a cooling model). */
export function isAvailable(account: AccountView): boolean {
  return account.state === 'active' || account.state === 'cooling';
}
