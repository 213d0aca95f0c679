/** An explicit conversation id sent by the client, for sticky sessions: `x-session-id` or `x-agw-session-id`. */
import type { FastifyRequest } from 'fastify';

export function sessionHeader(request: FastifyRequest): string | undefined {
  for (const name of ['x-agw-session-id', 'x-session-id']) {
    const value = request.headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    if (text !== undefined && text.trim() !== '') return text.trim().slice(0, 200);
  }
  return undefined;
}

/** Spreads `{ sessionHeader }` only when one was sent (the translators' option is optional, not undefined). */
export function optionalSession(value: string | undefined): { sessionHeader?: string } {
  return value === undefined ? {} : { sessionHeader: value };
}
