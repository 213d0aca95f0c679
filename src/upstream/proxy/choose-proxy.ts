/**
 * Which proxy one outbound call uses (issue 18). The account's own proxy wins; else the configured global proxy
 * (gui_config.json `proxy.upstream_proxy`); else the environment's (`HTTPS_PROXY` for https targets, `HTTP_PROXY`
 * for http ones, `ALL_PROXY` for both); else none. NO_PROXY exempts a target from the global and environment
 * proxies, never from an account's. Pure, no I/O.
 */
import { bypassesProxy } from './no-proxy.ts';

export interface OutboundProxySettings {
  /** `proxy.upstream_proxy.url` while `proxy.upstream_proxy.enabled`; null otherwise. */
  readonly globalProxy: string | null;
  /** From the environment, per target scheme. */
  readonly environmentProxy: { readonly http: string | null; readonly https: string | null };
  /** NO_PROXY entries (agw.no_proxy or the environment). */
  readonly noProxy: readonly string[];
}

export const noOutboundProxy: OutboundProxySettings = {
  globalProxy: null,
  environmentProxy: { http: null, https: null },
  noProxy: [],
};

export interface ProxyChoice {
  /** The proxy URL, credentials included. */
  readonly url: string;
  readonly source: 'account' | 'global' | 'environment';
}

/** The proxy for a call to `target`, or undefined for a direct connection. */
export function chooseProxy(
  settings: OutboundProxySettings,
  target: string,
  accountProxy: string | null | undefined,
): ProxyChoice | undefined {
  if (accountProxy !== undefined && accountProxy !== null && accountProxy.trim() !== '') {
    return { url: accountProxy.trim(), source: 'account' };
  }
  const bypass = bypassesProxy(target, settings.noProxy);
  if (settings.globalProxy !== null && !bypass) return { url: settings.globalProxy, source: 'global' };
  const fromEnvironment = target.startsWith('https:')
    ? settings.environmentProxy.https
    : settings.environmentProxy.http;
  if (fromEnvironment !== null && !bypass) return { url: fromEnvironment, source: 'environment' };
  return undefined;
}
