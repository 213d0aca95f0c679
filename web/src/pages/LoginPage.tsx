import { type FormEvent, useState } from 'react';
import { ApiError, api, describeError } from '../api/client.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';

interface LoginPageProps {
  onLoggedIn: () => void;
}

/** Asks for the admin password; the server answers with an httpOnly session cookie, nothing is stored here. */
export function LoginPage({ onLoggedIn }: LoginPageProps) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.login(password);
      setPassword('');
      onLoggedIn();
    } catch (failure) {
      setError(failure instanceof ApiError && failure.status === 401 ? 'Wrong password.' : describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="login-form" onSubmit={submit}>
        <h1>agw console</h1>
        <p>Log in with the admin password (or the API key when no admin password is set).</p>
        <label htmlFor="login-password">Admin password</label>
        <input
          id="login-password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          required
        />
        <ErrorNotice message={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
