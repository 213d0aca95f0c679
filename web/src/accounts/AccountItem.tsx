import type { AccountView } from '../api/types.ts';
import { formatTime } from '../format.ts';
import { OutboundProxyField } from './OutboundProxyField.tsx';
import { QuotaBars } from './QuotaBars.tsx';
import { StateBadges } from './StateBadges.tsx';

interface AccountItemProps {
  account: AccountView;
  busy: boolean;
  onToggleProxy: (account: AccountView) => void;
  onSaveOutboundProxy: (account: AccountView, url: string | null) => Promise<boolean>;
  onRemove: (account: AccountView) => void;
  onReAdd: (account: AccountView) => void;
}

/** One account, as a row of the list or a card of the grid (the CSS of the parent decides). */
export function AccountItem({
  account,
  busy,
  onToggleProxy,
  onSaveOutboundProxy,
  onRemove,
  onReAdd,
}: AccountItemProps) {
  const proxyEnabled = !account.proxy_disabled;
  return (
    <li className="account" data-account-id={account.id} data-state={account.state} aria-label={account.email}>
      <div className="account-identity">
        <span className="account-email">{account.email}</span>
        {account.name && <span className="account-name">{account.name}</span>}
        <span className="account-tier">{account.tier ?? 'Unknown tier'}</span>
        <span className="account-used muted">Last used: {formatTime(account.last_used)}</span>
      </div>
      <StateBadges account={account} />
      <QuotaBars quota={account.quota} />
      <OutboundProxyField account={account} busy={busy} onSave={onSaveOutboundProxy} />
      <div className="account-actions">
        <label className="switch">
          <input
            type="checkbox"
            role="switch"
            aria-checked={proxyEnabled}
            checked={proxyEnabled}
            disabled={busy}
            onChange={() => onToggleProxy(account)}
            aria-label={`Use ${account.email} in the proxy`}
          />
          <span>Proxy {proxyEnabled ? 'on' : 'off'}</span>
        </label>
        {account.disabled && (
          <button type="button" onClick={() => onReAdd(account)} aria-label={`Re-add ${account.email}`}>
            Re-add
          </button>
        )}
        <button
          type="button"
          className="danger"
          disabled={busy}
          onClick={() => onRemove(account)}
          aria-label={`Remove ${account.email}`}
        >
          Remove
        </button>
      </div>
    </li>
  );
}
