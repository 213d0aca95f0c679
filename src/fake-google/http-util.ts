/**
 * Small response helpers that also record the outcome on the call.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { Exchange } from './runtime.ts';

/** Sends a JSON (object) or verbatim (string) body. */
export function sendBody(
  exchange: Exchange,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
  contentType = 'application/json; charset=UTF-8',
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const { response } = exchange;
  if (response.destroyed || response.headersSent) return;
  exchange.call.outcome = status;
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** Abruptly ends the connection with a TCP RST (a "connection reset by peer" at the client). */
export function resetConnection(exchange: Exchange): void {
  exchange.destroyedByFake = true;
  exchange.call.outcome = 'reset';
  const socket = exchange.request.socket;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

/** A timer that does not keep the process alive on its own (the server does). */
export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, milliseconds).unref();
  });
}

/** Reads the full request body as UTF-8 text. */
export function readBody(exchange: Pick<Exchange, 'request'>): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    exchange.request.on('data', (chunk: Buffer) => chunks.push(chunk));
    exchange.request.on('end', () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    );
    exchange.request.on('error', reject);
  });
}

export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined || !authorization.startsWith('Bearer ')) return undefined;
  return authorization.slice(7).trim();
}
