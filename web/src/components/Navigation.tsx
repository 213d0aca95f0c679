import { useEventsConnected, useServerEvent } from '../api/events.ts';
import type { Route } from '../router.ts';

const pages: { route: Route; title: string }[] = [
  { route: 'accounts', title: 'Accounts' },
  { route: 'proxy', title: 'API Proxy' },
  { route: 'keys', title: 'Keys' },
  { route: 'dashboard', title: 'Dashboard' },
  { route: 'logs', title: 'Logs' },
];

interface NavigationProps {
  current: Route;
  onLogout: () => void;
}

/** The top bar: product name, page links (aria-current on the open page) and logout. */
export function Navigation({ current, onLogout }: NavigationProps) {
  return (
    <header className="top-bar">
      <span className="brand">agw</span>
      <nav aria-label="Main">
        <ul>
          {pages.map((page) => (
            <li key={page.route}>
              <a href={`#/${page.route}`} aria-current={page.route === current ? 'page' : undefined}>
                {page.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <LiveIndicator />
      <button type="button" className="secondary" onClick={onLogout}>
        Log out
      </button>
    </header>
  );
}

/** Keeps the event stream open on every page and says whether updates arrive live. */
function LiveIndicator() {
  useServerEvent('account', () => undefined);
  const connected = useEventsConnected();
  return (
    <span className={`live ${connected ? 'live-on' : 'live-off'}`} role="status">
      {connected ? 'Live updates on' : 'Live updates reconnecting…'}
    </span>
  );
}
