import { type FormEvent, useState } from 'react';
import { api, describeError } from '../api/client.ts';
import type { AddAccountResult } from '../api/types.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';

const outcomeText: Record<AddAccountResult['outcome'], string> = {
  added: 'Added',
  updated: 'Updated',
  're-enabled': 'Re-enabled',
};

interface RefreshTokenTabProps {
  reAddEmail: string | null;
  onChanged: () => void;
}

/** Adds (or re-adds) an account from a refresh token and reports what the server did with it. */
export function RefreshTokenTab({ reAddEmail, onChanged }: RefreshTokenTabProps) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<AddAccountResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const answer = await api.addAccount(token.trim());
      setResult(answer);
      setToken('');
      onChanged();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} className="stack">
      {reAddEmail && (
        <p>
          Paste a new refresh token for <strong>{reAddEmail}</strong>. The account is matched by the email Google
          reports, and a disabled account is enabled again when its token changes.
        </p>
      )}
      <label htmlFor="refresh-token">Refresh token</label>
      <textarea
        id="refresh-token"
        data-autofocus
        rows={3}
        value={token}
        placeholder="1//0g…"
        spellCheck={false}
        autoComplete="off"
        onChange={(event) => setToken(event.target.value)}
        required
      />
      <div className="row">
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Adding…' : 'Add account'}
        </button>
      </div>
      {result && (
        <p className="notice notice-success" role="status">
          {outcomeText[result.outcome]}: {result.account.email}
        </p>
      )}
      <ErrorNotice message={error} />
    </form>
  );
}
