/**
 * Errors Node's HTTP parser raises before Fastify sees a request (headers too large, a malformed request line, a
 * client too slow to send its headers). They leave in the dialect of the path the request named, like every other
 * error, instead of Fastify's own body: an SDK parsing the Anthropic or Gemini shape can still say what went wrong.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { GatewayError } from '../errors/catalogue.ts';
import { dialectOf, errorBody } from './dialect.ts';

/** The path of the request line in the bytes Node had read, when there is one. */
function pathOf(rawPacket: unknown): string {
  if (!Buffer.isBuffer(rawPacket)) return '/';
  const line = rawPacket.subarray(0, Math.min(rawPacket.length, 8192)).toString('latin1').split('\r\n')[0] ?? '';
  const path = line.split(' ')[1] ?? '/';
  try {
    return decodeURIComponent(path.split('?')[0] ?? '/');
  } catch {
    return path;
  }
}

function errorFor(code: string | undefined): GatewayError {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new GatewayError(
      'AGW_HEADERS_TOO_LARGE',
      'the request headers are larger than this server accepts (16 KiB)',
    );
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new GatewayError('AGW_INVALID_REQUEST', 'the request headers did not arrive in time');
  }
  return new GatewayError('AGW_INVALID_REQUEST', 'the HTTP request could not be parsed');
}

export function handleClientError(error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const gatewayError = errorFor(error.code);
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : gatewayError.status;
  const body = JSON.stringify(errorBody(dialectOf(pathOf(error.rawPacket)), gatewayError));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nx-agw-error-code: ${gatewayError.code}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
