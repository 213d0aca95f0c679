import { useEffect, useState } from 'react';

export const routes = ['accounts', 'proxy', 'keys', 'dashboard', 'logs'] as const;
export type Route = (typeof routes)[number];

function parse(hash: string): Route {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return (routes as readonly string[]).includes(name) ? (name as Route) : 'accounts';
}

/** The current page from location.hash (#/accounts, #/proxy, …); Accounts when the hash is empty or unknown. */
export function useHashRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parse(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parse(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
