import { useCallback, useEffect, useState } from 'react';
import { api, onUnauthorized } from './api/client.ts';
import { Navigation } from './components/Navigation.tsx';
import { AccountsPage } from './pages/AccountsPage.tsx';
import { DashboardPage } from './pages/DashboardPage.tsx';
import { KeysPage } from './pages/KeysPage.tsx';
import { LoginPage } from './pages/LoginPage.tsx';
import { LogsPage } from './pages/LogsPage.tsx';
import { ProxyPage } from './pages/ProxyPage.tsx';
import { type Route, useHashRoute } from './router.ts';

type SessionState = 'checking' | 'anonymous' | 'authenticated';

const titles: Record<Route, string> = {
  accounts: 'Accounts',
  proxy: 'API Proxy',
  keys: 'Keys',
  dashboard: 'Dashboard',
  logs: 'Logs',
};

/** The console: login gate, navigation and the page of the current hash route. */
export function App() {
  const [session, setSession] = useState<SessionState>('checking');
  const route = useHashRoute();

  useEffect(() => {
    api
      .session()
      .then((answer) => setSession(answer.authenticated ? 'authenticated' : 'anonymous'))
      .catch(() => setSession('anonymous'));
    return onUnauthorized(() => setSession('anonymous'));
  }, []);

  useEffect(() => {
    document.title = `${titles[route]} · agw console`;
  }, [route]);

  const logout = useCallback(() => {
    api
      .logout()
      .catch(() => undefined)
      .finally(() => setSession('anonymous'));
  }, []);

  if (session === 'checking') return <p className="loading">Loading…</p>;
  if (session === 'anonymous') return <LoginPage onLoggedIn={() => setSession('authenticated')} />;

  return (
    <>
      <Navigation current={route} onLogout={logout} />
      <main className="page">
        {route === 'accounts' && <AccountsPage />}
        {route === 'proxy' && <ProxyPage />}
        {route === 'keys' && <KeysPage />}
        {route === 'dashboard' && <DashboardPage />}
        {route === 'logs' && <LogsPage />}
      </main>
    </>
  );
}
