/**
 * A loopback HTTP server for client tests: records every request (body read whole), counts connections, and
 * either answers with a scripted reply (`replying`) or hands the raw request/response to the test (streaming,
 * stalling, observing a closed socket). `close()` destroys open sockets, so a test never waits for keep-alive.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The client's port: equal ports mean a reused connection. */
  remotePort: number | undefined;
}

export type RawHandler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

export interface Reply {
  status: number;
  /** JSON-encoded unless a string. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TestServer {
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  calls: RecordedCall[];
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

function callOf(request: IncomingMessage, body: string): RecordedCall {
  return {
    method: request.method ?? '',
    path: request.url ?? '',
    headers: request.headers,
    body,
    remotePort: request.socket.remotePort,
  };
}

/** A raw handler that answers every call with `reply(call)` (JSON unless told otherwise). */
export function replying(reply: (call: RecordedCall) => Reply | Promise<Reply>): RawHandler {
  return (request, response, body) => {
    void Promise.resolve(reply(callOf(request, body))).then((answer) => {
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(text);
    });
  };
}

export async function startServer(handler: RawHandler): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const record: TestServer = { url: '', calls: [], connections: 0, close: async () => undefined };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      record.calls.push(callOf(request, body));
      handler(request, response, body);
    });
  });
  server.on('connection', (socket: Socket) => {
    record.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  record.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  record.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return record;
}

/**
 * A port nothing listens on (bound, then released). It is taken below the kernels' ephemeral ranges (Linux
 * 32768-60999, macOS 49152-65535): a port from `listen(0)` could be handed straight to the next `listen(0)` of a
 * test running alongside, which then answered where a refusal was expected.
 */
export async function refusedPort(): Promise<number> {
  for (let tries = 0; ; tries += 1) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) {
      if (tries >= 50) throw new Error('no free port found between 20000 and 30000');
      continue;
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }
}
