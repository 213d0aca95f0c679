/**
 * An undici `connect` function that reaches the target through a SOCKS5 proxy (the `socks` package does the
 * handshake), then starts TLS on the tunnel when the target is https. `socks5h://` lets the proxy resolve the
 * target's name (nothing about the target leaks to the local resolver); `socks5://` resolves it here first, as
 * curl does. Every failure before the tunnel is up is a {@link ProxyConnectError} naming the proxy without its
 * credentials, so the caller can tell a dead proxy from a dead Google.
 */
import { lookup } from 'node:dns/promises';
import { isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { SocksClient } from 'socks';
import type { buildConnector } from 'undici';
import type { ProxyAddress } from './proxy-url.ts';

/** A failure to reach or use the proxy itself; the message names the proxy by its label only. */
export class ProxyConnectError extends Error {
  readonly code = 'AGW_PROXY_CONNECT';
  readonly proxy: string;
  readonly reason: string;
  constructor(proxy: string, reason: string) {
    super(`proxy ${proxy}: ${reason}`);
    this.name = 'ProxyConnectError';
    this.proxy = proxy;
    this.reason = reason;
  }
}

/** The reason of a `socks` error without its options (they hold the proxy password). */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

export function createSocksConnector(proxy: ProxyAddress, connectTimeoutMs: number): buildConnector.connector {
  return (options, callback) => {
    const targetPort = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
    const open = async (): Promise<Socket> => {
      const targetHost =
        proxy.scheme === 'socks5' && isIP(options.hostname) === 0
          ? (await lookup(options.hostname)).address
          : options.hostname;
      const { socket } = await SocksClient.createConnection({
        command: 'connect',
        destination: { host: targetHost, port: targetPort },
        proxy: {
          host: proxy.hostname,
          port: proxy.port,
          type: 5,
          ...(proxy.username === '' ? {} : { userId: proxy.username, password: proxy.password }),
        },
        timeout: connectTimeoutMs,
      });
      return socket;
    };
    open().then(
      (socket) => {
        if (options.protocol !== 'https:') {
          callback(null, socket);
          return;
        }
        const servername = options.servername ?? (isIP(options.hostname) === 0 ? options.hostname : undefined);
        const secure = connectTls({
          socket,
          ...(servername === undefined ? {} : { servername }),
          ALPNProtocols: ['http/1.1'],
        });
        let settled = false;
        secure.once('secureConnect', () => {
          settled = true;
          callback(null, secure);
        });
        secure.once('error', (error) => {
          if (settled) return; // undici watches the socket from here on
          settled = true;
          socket.destroy();
          callback(error, null);
        });
      },
      (error: unknown) => callback(new ProxyConnectError(proxy.label, reasonOf(error)), null),
    );
  };
}
