import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { api, describeError } from '../api/client.ts';
import type { KeyView, NewKey } from '../api/types.ts';
import { CopyButton } from '../components/CopyButton.tsx';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { formatTime } from '../format.ts';

const emptyForm = { name: '', expires: '', models: '', rpm: '', tokensPerDay: '', ips: '' };

function limitsOf(key: KeyView): string {
  const parts = [
    key.models ? `models ${key.models.join(', ')}` : '',
    key.requests_per_minute !== null ? `${key.requests_per_minute} req/min` : '',
    key.tokens_per_day !== null ? `${key.tokens_per_day} tokens/day` : '',
    key.ips ? `from ${key.ips.join(', ')}` : '',
  ].filter((part) => part !== '');
  return parts.length === 0 ? 'none' : parts.join('; ');
}

/** User keys: one client key per person or tool, with its own limits; created here (shown once), listed, revoked. */
export function KeysPage() {
  const [keys, setKeys] = useState<KeyView[]>([]);
  const [form, setForm] = useState(emptyForm);
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [revoking, setRevoking] = useState<KeyView | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    try {
      setKeys((await api.keys()).keys);
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setCreated(null);
    const body: NewKey = { name: form.name };
    if (form.expires.trim() !== '') body.expires = form.expires.trim();
    if (form.models.trim() !== '') body.models = form.models;
    if (form.rpm.trim() !== '') body.requests_per_minute = Number(form.rpm);
    if (form.tokensPerDay.trim() !== '') body.tokens_per_day = Number(form.tokensPerDay);
    if (form.ips.trim() !== '') body.ips = form.ips;
    try {
      const answer = await api.createKey(body);
      setCreated({ name: answer.key.name, secret: answer.secret });
      setForm(emptyForm);
      await reload();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (key: KeyView) => {
    try {
      await api.revokeKey(key.id);
      setRevoking(null);
      await reload();
    } catch (failure) {
      setRevoking(null);
      setError(describeError(failure));
    }
  };

  const field = (name: keyof typeof emptyForm) => ({
    value: form[name],
    onChange: (event: { target: { value: string } }) =>
      setForm((current) => ({ ...current, [name]: event.target.value })),
  });

  return (
    <section aria-labelledby="keys-title" className="stack">
      <h1 id="keys-title">Keys</h1>
      <p className="muted">
        Give each person or tool its own client key instead of the API key. A key works on every client API, never on
        this console, and can be limited and revoked on its own.
      </p>

      <section className="panel stack" aria-labelledby="new-key-title">
        <h2 id="new-key-title">New key</h2>
        <form className="stack" onSubmit={create}>
          <label htmlFor="key-name">Name</label>
          <input id="key-name" required maxLength={64} placeholder="e.g. alice or ci-bot" {...field('name')} />
          <label htmlFor="key-expires">Expires (optional)</label>
          <input id="key-expires" placeholder="30d, 12h, 2w, 2027-01-31 — empty: never" {...field('expires')} />
          <label htmlFor="key-models">Allowed models (optional)</label>
          <input id="key-models" placeholder="gemini-*, claude-sonnet-4-6 — empty: every model" {...field('models')} />
          <label htmlFor="key-rpm">Requests per minute (optional)</label>
          <input id="key-rpm" type="number" min={1} {...field('rpm')} />
          <label htmlFor="key-tokens">Tokens per day, UTC (optional)</label>
          <input id="key-tokens" type="number" min={1} {...field('tokensPerDay')} />
          <label htmlFor="key-ips">Allowed client addresses (optional)</label>
          <input id="key-ips" placeholder="192.168.1.0/24, fd00::/8 — empty: any" {...field('ips')} />
          <div className="row">
            <button type="submit" disabled={busy}>
              {busy ? 'Creating…' : 'Create key'}
            </button>
          </div>
        </form>
        {created && (
          <div className="notice notice-success stack" role="status">
            <p>Key for {created.name} — shown only now, copy it:</p>
            <div className="row">
              <code className="secret">{created.secret}</code>
              <CopyButton text={created.secret} label={`key for ${created.name}`} />
            </div>
          </div>
        )}
      </section>

      <ErrorNotice message={error} />
      <div className="table-wrap">
        <table className="logs">
          <caption className="visually-hidden">User keys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
              <th scope="col">Tokens today</th>
              <th scope="col">Limits</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.length === 0 && (
              <tr>
                <td colSpan={9} className="muted">
                  No user keys yet.
                </td>
              </tr>
            )}
            {keys.map((key) => (
              <tr key={key.id}>
                <td>{key.name}</td>
                <td>
                  <code>{key.hint}</code>
                </td>
                <td>{key.state}</td>
                <td>{formatTime(key.created_at)}</td>
                <td>{formatTime(key.last_used_at)}</td>
                <td>{key.expires_at === null ? 'never' : formatTime(key.expires_at)}</td>
                <td>{key.tokens_today ?? '—'}</td>
                <td className="log-message">{limitsOf(key)}</td>
                <td>
                  {key.state !== 'revoked' && (
                    <button type="button" className="danger" onClick={() => setRevoking(key)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {revoking && (
        <Dialog title="Revoke key" onClose={() => setRevoking(null)}>
          <p>
            Revoke the key <strong>{revoking.name}</strong>? Clients using it are refused at once. It stays listed so
            its usage stays attributed.
          </p>
          <div className="row dialog-actions">
            <button type="button" className="secondary" data-autofocus onClick={() => setRevoking(null)}>
              Cancel
            </button>
            <button type="button" className="danger" onClick={() => void revoke(revoking)}>
              Revoke key
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
