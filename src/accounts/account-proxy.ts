/**
 * An account's own outbound proxy (`proxy_url`, issue 18), as the CLI, the admin API and the console set and show
 * it: one check of what a user typed, one display form (credentials masked by the one scrubber), one change to
 * the account file. The pool and the Google clients read the stored URL as it is.
 */
import { GatewayError } from '../errors/catalogue.ts';
import type { Account } from '../store/account-schema.ts';
import { scrubText } from '../telemetry/redaction.ts';
import { parseProxyUrl } from '../upstream/proxy/proxy-url.ts';

/**
 * The URL to store for what the user gave: null (or empty) clears the proxy; otherwise a usable proxy URL (a URL
 * without a scheme is taken as http://, the reference's rule) or AGW_INVALID_REQUEST saying why not.
 */
export function accountProxyInput(text: string | null | undefined): string | null {
  if (text === null || text === undefined || text.trim() === '') return null;
  const address = parseProxyUrl(text);
  if (typeof address === 'string') throw new GatewayError('AGW_INVALID_REQUEST', `proxy_url: ${address}`);
  return address.url;
}

/** The account's proxy for display: the URL with any credentials masked, or null when it has none. */
export function shownAccountProxy(account: Pick<Account, 'proxy_url'>): string | null {
  return account.proxy_url ? scrubText(account.proxy_url) : null;
}

/** The store's mutation that sets (or, for null, removes) the account's proxy. */
export function applyAccountProxy(url: string | null): (account: Account) => void {
  return (account) => {
    if (url === null) delete account.proxy_url;
    else account.proxy_url = url;
  };
}
