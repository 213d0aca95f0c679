/**
 * The one request-log row and metrics sample of a logged request. Written when the response finished (the app's
 * onResponse hook) or, for a client that left before, by the generation path with status 499 (Fastify reports no
 * response then). The error code is the relay's, else the one the error response carried.
 */
import type { FastifyRequest } from 'fastify';
import type { RequestLogEntry } from '../telemetry/request-log.ts';
import { factsOf } from './request-context.ts';
import type { GatewayServices } from './services.ts';

/** Status recorded for a request whose client closed the connection first (nginx's convention). */
export const clientClosedStatus = 499;

export function recordRequest(
  services: GatewayServices,
  request: FastifyRequest,
  outcome: { status: number; totalMs: number; errorCode?: string },
): void {
  const facts = factsOf(request);
  if (!facts.logged || facts.recorded) return;
  facts.recorded = true;
  services.metrics.recordRequest({
    route: facts.route,
    protocol: facts.protocol,
    status: outcome.status,
    totalMs: outcome.totalMs,
    attempts: facts.attempts,
    ...(facts.upstreamMs === undefined ? {} : { upstreamMs: facts.upstreamMs }),
    ...(facts.mappedModel === undefined ? {} : { model: facts.mappedModel }),
  });
  const entry: RequestLogEntry = {
    protocol: facts.protocol,
    route: facts.route,
    method: request.method,
    status: outcome.status,
    totalMs: outcome.totalMs,
    stream: facts.stream,
    attempts: facts.attempts,
    clientModel: facts.clientModel ?? null,
    mappedModel: facts.mappedModel ?? null,
    accountId: facts.accountId ?? null,
    upstreamMs: facts.upstreamMs ?? null,
    inputTokens: facts.usage?.inputTokens ?? null,
    outputTokens: facts.usage?.outputTokens ?? null,
    cachedTokens: facts.usage?.cachedTokens ?? null,
    errorCode: facts.errorCode ?? outcome.errorCode ?? null,
    time: services.now() - outcome.totalMs,
    keyId: facts.keyId ?? null,
    keyName: facts.keyName ?? null,
  };
  services.requestLog.record(entry);
  if (facts.keyId !== undefined) {
    const tokens = (facts.usage?.inputTokens ?? 0) + (facts.usage?.outputTokens ?? 0);
    services.userKeys?.recordUsage(facts.keyId, tokens, entry.time ?? services.now());
  }
  services.events.publish({ type: 'request', entry });
}
