/**
 * An explicit conversation id sent by the client (`x-session-id`, docs/api.md), for sticky sessions. The key rule
 * itself (header, else the dialect's own id, else a hash of the user texts) is src/protocols/session-key.ts.
 */
import type { FastifyRequest } from 'fastify';

export function sessionHeader(request: FastifyRequest): string | undefined {
  const value = request.headers['x-session-id'];
  const text = Array.isArray(value) ? value[0] : value;
  return text !== undefined && text.trim() !== '' ? text.trim().slice(0, 200) : undefined;
}

/** Spreads `{ sessionHeader }` only when one was sent (the translators' option is optional, not undefined). */
export function optionalSession(value: string | undefined): { sessionHeader?: string } {
  return value === undefined ? {} : { sessionHeader: value };
}
