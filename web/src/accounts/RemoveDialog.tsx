import { useState } from 'react';
import { api, describeError } from '../api/client.ts';
import type { AccountView } from '../api/types.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';

interface RemoveDialogProps {
  account: AccountView;
  onRemoved: () => void;
  onClose: () => void;
}

/** Asks before deleting an account; Cancel has focus first so Enter does not delete by accident. */
export function RemoveDialog({ account, onRemoved, onClose }: RemoveDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.removeAccount(account.id);
      onRemoved();
      onClose();
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  };

  return (
    <Dialog title="Remove account" onClose={onClose}>
      <p>
        Remove <strong>{account.email}</strong> from the pool? Its file is deleted; you can add it again later with a
        refresh token.
      </p>
      <ErrorNotice message={error} />
      <div className="row dialog-actions">
        <button type="button" className="secondary" onClick={onClose} data-autofocus>
          Cancel
        </button>
        <button type="button" className="danger" onClick={remove} disabled={busy}>
          {busy ? 'Removing…' : 'Remove account'}
        </button>
      </div>
    </Dialog>
  );
}
