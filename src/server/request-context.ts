/**
 * Facts a request gathers while it is handled, kept on the request so one request-log row and the metrics can be
 * written for it, whatever path it took. Routes note who is asking and for what; the relay's recorder
 * (src/relay/facts.ts) is the one writer of what happened upstream (attempts, account, upstream time, usage,
 * error code).
 */
import type { FastifyRequest } from 'fastify';
import type { RelayFacts } from '../relay/facts.ts';
import type { RequestProtocol } from '../telemetry/request-log.ts';

export interface RequestFacts extends RelayFacts {
  protocol: RequestProtocol;
  /** Route template for metrics, e.g. `/v1/chat/completions`. */
  route: string;
  clientModel?: string;
  mappedModel?: string;
  stream: boolean;
  /** Generation routes are logged; health checks, metrics and static files are not. */
  logged: boolean;
  /** The row was written (once per request, whether the response finished or the client left). */
  recorded: boolean;
  /** The user key the request was made with (id and name, never the key). */
  keyId?: string;
  keyName?: string;
}

const facts = new WeakMap<FastifyRequest, RequestFacts>();

export function factsOf(request: FastifyRequest): RequestFacts {
  let found = facts.get(request);
  if (!found) {
    found = {
      protocol: 'openai',
      route: request.routeOptions.url ?? 'unknown',
      attempts: 0,
      stream: false,
      logged: false,
      recorded: false,
    };
    facts.set(request, found);
  }
  return found;
}
