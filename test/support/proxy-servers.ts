/**
 * Loopback outbound proxies for the proxy tests (issue 18): an HTTP CONNECT proxy and a SOCKS5 proxy, each small,
 * each recording every tunnel it relayed (target host:port) and the credentials it was offered, so a test can
 * assert which calls went through which proxy — and that a proxy saw none of another account's calls.
 */
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { connect as connectTcp, createServer as createTcpServer, type Server, type Socket } from 'node:net';

export interface RecordingProxy {
  /** `http://127.0.0.1:PORT` or `socks5://127.0.0.1:PORT` (no credentials). */
  readonly url: string;
  readonly port: number;
  /** `host:port` of every tunnel opened, in order. */
  readonly targets: string[];
  /**
   * The local port of each connection the proxy opened to a target: the target sees it as the client's port, so
   * a test can tell which of the target's calls came through this proxy.
   */
  readonly ports: number[];
  /** Credentials offered per tunnel (`user:password`), or '' when none. */
  readonly credentials: string[];
  /** Tunnels refused (bad credentials). */
  readonly refused: number;
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** `user:password` the proxy demands; unset: open. */
  readonly requireCredentials?: string;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

/** Closes the server and every socket it still holds (keep-alive tunnels). */
function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

function relay(
  client: Socket,
  host: string,
  port: number,
  sockets: Set<Socket>,
  onReady: (localPort: number) => void,
): void {
  const upstream = connectTcp({ host, port }, () => onReady(upstream.localPort ?? 0));
  sockets.add(upstream);
  upstream.on('close', () => sockets.delete(upstream));
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('end', () => client.end());
  client.pipe(upstream);
  upstream.pipe(client);
}

/** An HTTP proxy that only tunnels (CONNECT), as undici's ProxyAgent uses it. */
export async function startConnectProxy(options: ProxyOptions = {}): Promise<RecordingProxy> {
  const targets: string[] = [];
  const ports: number[] = [];
  const credentials: string[] = [];
  let refused = 0;
  const sockets = new Set<Socket>();
  const server = createHttpServer((_request, response) => {
    // Only tunnels are expected: a plain (absolute-form) request would mean agw sent a request in clear.
    response.writeHead(405).end('this test proxy only tunnels');
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
    const header = request.headers['proxy-authorization'];
    const offered =
      typeof header === 'string' && header.startsWith('Basic ')
        ? Buffer.from(header.slice(6), 'base64').toString('utf8')
        : '';
    credentials.push(offered);
    if (options.requireCredentials !== undefined && offered !== options.requireCredentials) {
      refused += 1;
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n');
      return;
    }
    const target = request.url ?? '';
    const cut = target.lastIndexOf(':');
    targets.push(target);
    relay(client, target.slice(0, cut), Number(target.slice(cut + 1)), sockets, (localPort) => {
      ports.push(localPort);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) client.unshift(head);
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    targets,
    ports,
    credentials,
    get refused() {
      return refused;
    },
    close: closer(server, sockets),
  };
}

/** Reads exactly `length` bytes from a socket in paused mode. */
function readBytes(socket: Socket, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const chunk = socket.read(length) as Buffer | null;
      if (chunk !== null) {
        socket.off('readable', attempt);
        socket.off('close', onClose);
        resolve(chunk);
      }
    };
    const onClose = (): void => {
      socket.off('readable', attempt);
      reject(new Error('closed during the SOCKS handshake'));
    };
    socket.on('readable', attempt);
    socket.once('close', onClose);
    attempt();
  });
}

/** A SOCKS5 proxy (RFC 1928, CONNECT only; RFC 1929 user/password when required). */
export async function startSocksProxy(options: ProxyOptions = {}): Promise<RecordingProxy> {
  const targets: string[] = [];
  const ports: number[] = [];
  const credentials: string[] = [];
  let refused = 0;
  const sockets = new Set<Socket>();
  const handshake = async (client: Socket): Promise<void> => {
    const [version, methodCount] = await readBytes(client, 2);
    if (version !== 5) throw new Error('not SOCKS5');
    const methods = [...(await readBytes(client, methodCount!))];
    let offered = '';
    if (options.requireCredentials !== undefined || methods.includes(2)) {
      if (!methods.includes(2)) {
        client.end(Buffer.from([5, 0xff]));
        refused += 1;
        credentials.push('');
        return;
      }
      client.write(Buffer.from([5, 2]));
      const [, userLength] = await readBytes(client, 2);
      const user = (await readBytes(client, userLength!)).toString('utf8');
      const [passwordLength] = await readBytes(client, 1);
      const password = (await readBytes(client, passwordLength!)).toString('utf8');
      offered = `${user}:${password}`;
      credentials.push(offered);
      if (options.requireCredentials !== undefined && offered !== options.requireCredentials) {
        refused += 1;
        client.end(Buffer.from([1, 1]));
        return;
      }
      client.write(Buffer.from([1, 0]));
    } else {
      credentials.push('');
      client.write(Buffer.from([5, 0]));
    }
    const [, command, , addressType] = await readBytes(client, 4);
    let host: string;
    if (addressType === 1) host = [...(await readBytes(client, 4))].join('.');
    else if (addressType === 3) {
      const [length] = await readBytes(client, 1);
      host = (await readBytes(client, length!)).toString('utf8');
    } else throw new Error('IPv6 targets are not needed by these tests');
    const port = (await readBytes(client, 2)).readUInt16BE(0);
    if (command !== 1) {
      client.end(Buffer.from([5, 7, 0, 1, 0, 0, 0, 0, 0, 0]));
      return;
    }
    targets.push(`${host}:${port}`);
    relay(client, host, port, sockets, (localPort) => {
      ports.push(localPort);
      client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
    });
  };
  const server = createTcpServer({ pauseOnConnect: false }, (client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    handshake(client).catch(() => client.destroy());
  });
  const port = await listen(server);
  return {
    url: `socks5://127.0.0.1:${port}`,
    port,
    targets,
    ports,
    credentials,
    get refused() {
      return refused;
    },
    close: closer(server, sockets),
  };
}

/** A proxy URL with credentials: `scheme://user:password@host:port`. */
export function withCredentials(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = password;
  return parsed.toString().replace(/\/$/, '');
}
