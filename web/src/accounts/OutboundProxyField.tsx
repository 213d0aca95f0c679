import { useState } from 'react';
import type { AccountView } from '../api/types.ts';

interface OutboundProxyFieldProps {
  account: AccountView;
  busy: boolean;
  /** Saves the account's own outbound proxy; null clears it. */
  onSave: (account: AccountView, url: string | null) => Promise<boolean>;
}

/**
 * The account's own outbound proxy (issue 18): shown with its credentials masked by the server, editable in place.
 * The typed URL is sent once and never shown back, so a password typed here stays out of the page.
 */
export function OutboundProxyField({ account, busy, onSave }: OutboundProxyFieldProps) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState('');
  const save = async (url: string | null) => {
    if (await onSave(account, url)) {
      setEditing(false);
      setText('');
    }
  };
  if (!editing) {
    return (
      <div className="outbound-proxy">
        <span className="muted">Outbound proxy:</span>{' '}
        <code className="outbound-proxy-url">{account.proxy_url ?? 'global / direct'}</code>
        <button
          type="button"
          disabled={busy}
          onClick={() => setEditing(true)}
          aria-label={`Set the outbound proxy of ${account.email}`}
        >
          {account.proxy_url ? 'Change' : 'Set'}
        </button>
        {account.proxy_url && (
          <button
            type="button"
            disabled={busy}
            onClick={() => void save(null)}
            aria-label={`Clear the outbound proxy of ${account.email}`}
          >
            Clear
          </button>
        )}
      </div>
    );
  }
  return (
    <form
      className="outbound-proxy"
      onSubmit={(event) => {
        event.preventDefault();
        void save(text.trim() === '' ? null : text.trim());
      }}
    >
      <input
        type="text"
        value={text}
        autoComplete="off"
        spellCheck={false}
        placeholder="socks5://user:password@host:1080"
        onChange={(event) => setText(event.target.value)}
        aria-label={`Outbound proxy URL of ${account.email}`}
      />
      <button type="submit" disabled={busy}>
        Save
      </button>
      <button type="button" onClick={() => setEditing(false)}>
        Cancel
      </button>
    </form>
  );
}
