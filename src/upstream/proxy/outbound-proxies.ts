/**
 * The outbound proxies of the gateway (issue 18), owned by the composition root: which proxy a call uses
 * (choose-proxy.ts, over the live settings), the undici dispatchers that tunnel through it (undici's ProxyAgent
 * for http(s) proxies, an Agent with the SOCKS connector for socks5/socks5h), and the one error a dead proxy
 * becomes: AGW_ACCOUNT_PROXY_FAILED, an account-level failure naming the proxy without its credentials.
 * close() closes every dispatcher created here, so closing agw leaves no proxy socket behind.
 */
import { Agent, type Dispatcher, ProxyAgent } from 'undici';
import { GatewayError } from '../../errors/catalogue.ts';
import { errorCodeOf } from '../error-code.ts';
import { chooseProxy, type OutboundProxySettings, type ProxyChoice } from './choose-proxy.ts';
import { type ProxyAddress, parseProxyUrl } from './proxy-url.ts';
import { createSocksConnector, ProxyConnectError } from './socks-connector.ts';

export type { OutboundProxySettings, ProxyChoice } from './choose-proxy.ts';

/** The Agent options a caller wants for its connections, whatever proxy carries them. */
export interface ConnectionOptions {
  readonly connectTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly connections?: number | undefined;
}

export interface OutboundProxies {
  /** The proxy for a call to `target` (a URL) of an account with `accountProxy`; undefined = direct. */
  choose(target: string, accountProxy?: string | null): ProxyChoice | undefined;
  /**
   * A new dispatcher reaching targets through `choice`; the caller owns it (the transport keeps one per account
   * identity, so no tunnel carries two accounts' bearers) and closes it.
   */
  createDispatcher(choice: ProxyChoice, options: ConnectionOptions): Dispatcher;
  /** A dispatcher per proxy shared by the small auth calls (token endpoint, userinfo); closed by close(). */
  sharedDispatcher(choice: ProxyChoice): Dispatcher;
  /**
   * The error a failed call becomes: AGW_ACCOUNT_PROXY_FAILED when it failed to reach or pass the proxy,
   * undefined when the failure happened beyond it (or no proxy was used).
   */
  proxyFailure(error: unknown, choice: ProxyChoice | undefined): GatewayError | undefined;
  close(): Promise<void>;
}

/** Codes of failures while the connection to the target was being set up (through the proxy). */
const connectPhaseCodes = new Set([
  'AGW_PROXY_CONNECT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_PRX_TLS',
]);

/** Why a call through a proxy failed at the proxy, in words that hold no credentials; undefined otherwise. */
function proxyFailureReason(error: unknown): string | undefined {
  if (error instanceof ProxyConnectError) return error.reason;
  const message = error instanceof Error ? error.message : '';
  // undici's ProxyAgent: the proxy refused the CONNECT or asked for credentials.
  const tunnel = /Proxy response \((\d+)\)/.exec(message);
  if (tunnel) return `the proxy answered ${tunnel[1]} to CONNECT`;
  if (/Proxy Authentication Required/i.test(message)) return 'the proxy asked for credentials (407)';
  const code = errorCodeOf(error);
  if (code === 'UND_ERR_PRX_TLS' || (error instanceof Error && error.name === 'ProxyConnectionError')) {
    return 'the proxy closed the tunnel';
  }
  if (code !== undefined && connectPhaseCodes.has(code)) return `the proxy could not be reached (${code})`;
  return undefined;
}

export function proxyFailedError(label: string, source: ProxyChoice['source'], reason: string): GatewayError {
  const owner = source === 'account' ? "the account's proxy" : `the ${source} proxy`;
  return new GatewayError('AGW_ACCOUNT_PROXY_FAILED', `Outbound call through ${owner} ${label} failed: ${reason}`, {
    details: { proxy: label, source },
  });
}

function addressOf(choice: ProxyChoice): ProxyAddress {
  const address = parseProxyUrl(choice.url);
  if (typeof address === 'string') {
    throw new GatewayError('AGW_ACCOUNT_PROXY_FAILED', `The ${choice.source} proxy URL is unusable: ${address}`, {
      details: { source: choice.source },
    });
  }
  return address;
}

/** `settings` is read on every call, so a configuration reload applies to the next call. */
export function createOutboundProxies(settings: () => OutboundProxySettings): OutboundProxies {
  const shared = new Map<string, Dispatcher>();
  let closed = false;

  const createDispatcher = (choice: ProxyChoice, options: ConnectionOptions): Dispatcher => {
    const address = addressOf(choice);
    const pooling = {
      keepAliveTimeout: options.keepAliveTimeoutMs,
      keepAliveMaxTimeout: options.keepAliveTimeoutMs,
      allowH2: false,
      ...(options.connections === undefined ? {} : { connections: options.connections }),
    };
    if (address.scheme === 'socks5' || address.scheme === 'socks5h') {
      return new Agent({ ...pooling, connect: createSocksConnector(address, options.connectTimeoutMs) });
    }
    return new ProxyAgent({
      ...pooling,
      uri: address.url,
      // CONNECT for http targets too: one code path whatever the target, and the proxy never reads a request.
      proxyTunnel: true,
      connectTimeout: options.connectTimeoutMs,
    });
  };

  return {
    choose: (target, accountProxy) => chooseProxy(settings(), target, accountProxy),
    createDispatcher,
    sharedDispatcher(choice) {
      if (closed) throw new GatewayError('AGW_INTERNAL', 'The outbound proxies are closed');
      let dispatcher = shared.get(choice.url);
      if (dispatcher === undefined) {
        dispatcher = createDispatcher(choice, {
          connectTimeoutMs: 10_000,
          keepAliveTimeoutMs: 30_000,
          connections: 16,
        });
        shared.set(choice.url, dispatcher);
      }
      return dispatcher;
    },
    proxyFailure(error, choice) {
      if (choice === undefined) return undefined;
      if (GatewayError.is(error) && error.code === 'AGW_ACCOUNT_PROXY_FAILED') return error;
      const reason = proxyFailureReason(error) ?? proxyFailureReason((error as { cause?: unknown })?.cause);
      if (reason === undefined) return undefined;
      const address = parseProxyUrl(choice.url);
      return proxyFailedError(
        typeof address === 'string' ? '(invalid proxy URL)' : address.label,
        choice.source,
        reason,
      );
    },
    async close() {
      closed = true;
      const dispatchers = [...shared.values()];
      shared.clear();
      await Promise.all(dispatchers.map((dispatcher) => dispatcher.close().catch(() => undefined)));
    },
  };
}
