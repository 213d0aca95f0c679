import { useCallback, useEffect, useRef, useState } from 'react';
import { AccountItem } from '../accounts/AccountItem.tsx';
import { AddAccountDialog, type AddTab } from '../accounts/AddAccountDialog.tsx';
import { RemoveDialog } from '../accounts/RemoveDialog.tsx';
import { isAvailable } from '../accounts/states.ts';
import { api, describeError } from '../api/client.ts';
import { useServerEvent } from '../api/events.ts';
import type { AccountView } from '../api/types.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { ToggleGroup } from '../components/ToggleGroup.tsx';

type Layout = 'list' | 'grid';
type Filter = 'all' | 'available' | 'disabled';

interface AddDialogState {
  tab: AddTab;
  reAddEmail: string | null;
}

/** The Accounts page: every account with its state, reason and quota, live through /api/events. */
export function AccountsPage() {
  const [accounts, setAccounts] = useState<AccountView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [layout, setLayout] = useState<Layout>('list');
  const [filter, setFilter] = useState<Filter>('all');
  const [addDialog, setAddDialog] = useState<AddDialogState | null>(null);
  const [removing, setRemoving] = useState<AccountView | null>(null);
  const [busyIds, setBusyIds] = useState<ReadonlySet<string>>(new Set());

  const reload = useCallback(async () => {
    try {
      const answer = await api.accounts();
      setAccounts(answer.accounts);
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  const latestAccounts = useRef(accounts);
  latestAccounts.current = accounts;
  useServerEvent('account', (changed) => {
    const known = latestAccounts.current?.some((account) => account.id === changed.id) ?? false;
    // A new account (or one we have not seen) changes the order too: take the server's list.
    if (!known) return void reload();
    setAccounts((current) => current?.map((account) => (account.id === changed.id ? changed : account)) ?? current);
  });

  const toggleProxy = async (account: AccountView) => {
    setBusyIds((current) => new Set(current).add(account.id));
    try {
      const updated = await api.setProxyEnabled(account.id, account.proxy_disabled);
      setAccounts((current) => current?.map((item) => (item.id === updated.id ? updated : item)) ?? current);
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusyIds((current) => {
        const next = new Set(current);
        next.delete(account.id);
        return next;
      });
      void reload();
    }
  };

  const saveOutboundProxy = async (account: AccountView, url: string | null): Promise<boolean> => {
    setBusyIds((current) => new Set(current).add(account.id));
    try {
      const updated = await api.setOutboundProxy(account.id, url);
      setAccounts((current) => current?.map((item) => (item.id === updated.id ? updated : item)) ?? current);
      setError(null);
      return true;
    } catch (failure) {
      setError(describeError(failure));
      return false;
    } finally {
      setBusyIds((current) => {
        const next = new Set(current);
        next.delete(account.id);
        return next;
      });
    }
  };

  const shown = (accounts ?? []).filter((account) => {
    if (filter === 'available') return isAvailable(account);
    if (filter === 'disabled') return !isAvailable(account);
    return true;
  });
  const disabledCount = (accounts ?? []).filter((account) => !isAvailable(account)).length;

  return (
    <section aria-labelledby="accounts-title">
      <div className="page-header">
        <h1 id="accounts-title">Accounts</h1>
        <button type="button" onClick={() => setAddDialog({ tab: 'refresh-token', reAddEmail: null })}>
          Add account
        </button>
      </div>
      <div className="toolbar">
        <ToggleGroup
          label="Show"
          value={filter}
          options={[
            { value: 'all', title: `All (${accounts?.length ?? 0})` },
            { value: 'available', title: `Available (${(accounts?.length ?? 0) - disabledCount})` },
            { value: 'disabled', title: `Disabled (${disabledCount})` },
          ]}
          onChange={setFilter}
        />
        <ToggleGroup
          label="View"
          value={layout}
          options={[
            { value: 'list', title: 'List' },
            { value: 'grid', title: 'Grid' },
          ]}
          onChange={setLayout}
        />
      </div>
      <ErrorNotice message={error} />
      {accounts === null && !error && <p className="muted">Loading accounts…</p>}
      {accounts !== null && shown.length === 0 && (
        <p className="muted">{accounts.length === 0 ? 'No accounts yet. Add one to start.' : 'No accounts match.'}</p>
      )}
      <ul className={`accounts accounts-${layout}`} aria-label="Accounts">
        {shown.map((account) => (
          <AccountItem
            key={account.id}
            account={account}
            busy={busyIds.has(account.id)}
            onToggleProxy={toggleProxy}
            onSaveOutboundProxy={saveOutboundProxy}
            onRemove={setRemoving}
            onReAdd={(target) => setAddDialog({ tab: 'refresh-token', reAddEmail: target.email })}
          />
        ))}
      </ul>
      {addDialog && (
        <AddAccountDialog
          initialTab={addDialog.tab}
          reAddEmail={addDialog.reAddEmail}
          onChanged={() => void reload()}
          onClose={() => setAddDialog(null)}
        />
      )}
      {removing && (
        <RemoveDialog account={removing} onRemoved={() => void reload()} onClose={() => setRemoving(null)} />
      )}
    </section>
  );
}
