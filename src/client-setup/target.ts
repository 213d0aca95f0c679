/** Where clients should reach agw: from the gateway's bind address, or a URL the user gives. */
import { GatewayError } from '../errors/catalogue.ts';

/** The URL a client on this machine uses for a gateway bound to `host:port` (a wildcard bind is reached on loopback). */
export function localBaseUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' || host === '[::]' ? '::1' : host;
  const literal = reachable.includes(':') && !reachable.startsWith('[') ? `[${reachable}]` : reachable;
  return `http://${literal}:${port}`;
}

/** Checks a user-given base URL (http or https, no query or fragment) and drops trailing slashes. */
export function normaliseBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new GatewayError('AGW_INVALID_REQUEST', `base URL "${text}" is not a URL (e.g. http://127.0.0.1:8045)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new GatewayError('AGW_INVALID_REQUEST', `base URL "${text}" must start with http:// or https://`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new GatewayError(
      'AGW_INVALID_REQUEST',
      `base URL "${text}" must not carry credentials, a query or a fragment`,
    );
  }
  // Clients append /v1/… themselves: agw's root, or a reverse proxy's prefix, is what they need.
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`.replace(/\/v1$/, '');
}
