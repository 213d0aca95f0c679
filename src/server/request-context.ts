/**
 * Facts a route learns while handling a request, kept on the request so the response hook can write one
 * request-log row and the metrics for it, whatever path the request took.
 */
import type { FastifyRequest } from 'fastify';
import type { CanonicalUsage } from '../protocols/canonical/types.ts';
import type { RequestProtocol } from '../telemetry/request-log.ts';

export interface RequestFacts {
  protocol: RequestProtocol;
  /** Route template for metrics, e.g. `/v1/chat/completions`. */
  route: string;
  clientModel?: string;
  mappedModel?: string;
  accountId?: string;
  attempts: number;
  upstreamMs?: number;
  usage?: CanonicalUsage;
  errorCode?: string;
  stream: boolean;
  /** Generation routes are logged; health checks, metrics and static files are not. */
  logged: boolean;
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
    };
    facts.set(request, found);
  }
  return found;
}
