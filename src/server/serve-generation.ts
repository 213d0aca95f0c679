/**
 * The part of every generation route that does not depend on the dialect: stream or collect, the commit point,
 * client disconnects, and what the request log learns. Routes only parse, translate and pick encoders.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, toGatewayError } from '../errors/catalogue.ts';
import { rateLimitReason } from '../pool/classify-failure.ts';
import { readUpstreamErrorBody } from '../pool/upstream-error-body.ts';
import type { CanonicalRequest } from '../protocols/canonical/types.ts';
import { type Dialect, sendError } from './dialect.ts';
import {
  type CollectedGeneration,
  collectGeneration,
  type GenerationContext,
  type GenerationReport,
  type StreamEncoder,
  streamGeneration,
} from './generation.ts';
import { factsOf } from './request-context.ts';
import type { GatewayServices } from './services.ts';
import { createSseChannel } from './sse-channel.ts';

export interface DialectAdapter {
  dialect: Dialect;
  /** `accountId` is the serving account, or '' when the stream failed before one was chosen. */
  createEncoder(accountId: string): StreamEncoder;
  /** Anthropic streams use `event: ping`; others a `: ping` comment. */
  heartbeatFrame?: string;
  /** The non-stream answer; may throw a GatewayError (e.g. a truncated answer). */
  buildResponse(collected: CollectedGeneration): unknown;
}

/** Aborts when the client goes away before the response finished. */
export function clientAbortSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) {
      controller.abort(new GatewayError('AGW_INVALID_REQUEST', 'the client closed the connection'));
    }
  });
  return controller.signal;
}

/**
 * The pool, with every attempt noted on the request's facts: when no attempt succeeds there is no report, yet the
 * request-log row of the failure still needs its attempts, last account and time spent upstream.
 */
function observedPool(services: GatewayServices, request: FastifyRequest): GenerationContext['pool'] {
  const facts = factsOf(request);
  return {
    execute: (executeRequest, attempt) =>
      services.pool.execute(executeRequest, async (lease) => {
        facts.attempts = lease.attempt;
        facts.accountId = lease.accountId;
        const startedAt = services.now();
        try {
          const result = await attempt(lease);
          const failure = result.ok ? undefined : result.failure;
          // Every upstream 429 counts, also those the pool waits out on the same account without a cooldown.
          if (failure?.kind === 'http' && failure.status === 429) {
            services.metrics.recordUpstream429(
              rateLimitReason(readUpstreamErrorBody(failure.bodyText), failure.bodyText),
            );
          }
          return result;
        } finally {
          facts.upstreamMs = (facts.upstreamMs ?? 0) + (services.now() - startedAt);
        }
      }),
  };
}

function applyReport(request: FastifyRequest, report: GenerationReport): void {
  const facts = factsOf(request);
  if (report.accountId !== undefined) facts.accountId = report.accountId;
  facts.attempts = report.attempts;
  facts.upstreamMs = report.upstreamMs;
  if (report.usage !== undefined) facts.usage = report.usage;
  if (report.inBandErrorCode !== undefined) facts.errorCode = report.inBandErrorCode;
}

function noteCanonical(request: FastifyRequest, canonical: CanonicalRequest): void {
  const facts = factsOf(request);
  facts.logged = true;
  facts.clientModel = canonical.clientModel;
  facts.mappedModel = canonical.upstreamModel;
  facts.stream = canonical.stream;
}

/** A non-stream generation with its facts recorded; throws GatewayError when no attempt succeeded. */
export async function collectForRequest(
  services: GatewayServices,
  request: FastifyRequest,
  reply: FastifyReply,
  canonical: CanonicalRequest,
): Promise<CollectedGeneration> {
  noteCanonical(request, canonical);
  try {
    const collected = await collectGeneration({
      context: { pool: observedPool(services, request), upstream: services.upstream, now: services.now },
      canonical,
      signal: clientAbortSignal(reply),
    });
    applyReport(request, collected.report);
    return collected;
  } catch (error) {
    factsOf(request).errorCode = toGatewayError(error).code;
    throw error;
  }
}

export interface ServeOptions {
  /**
   * For a stream that failed before the commit point: the request to try once more instead of answering the error
   * (Anthropic's thinking-free retry after a signature rejection), or undefined to answer it.
   */
  retryBeforeCommit?: (error: GatewayError, canonical: CanonicalRequest) => CanonicalRequest | undefined;
}

export async function serveGeneration(
  services: GatewayServices,
  request: FastifyRequest,
  reply: FastifyReply,
  firstCanonical: CanonicalRequest,
  adapter: DialectAdapter,
  options: ServeOptions = {},
): Promise<FastifyReply> {
  let canonical = firstCanonical;
  const headers = { 'x-mapped-model': canonical.upstreamModel };
  if (!canonical.stream) {
    try {
      const collected = await collectForRequest(services, request, reply, canonical);
      return reply.headers(headers).send(adapter.buildResponse(collected));
    } catch (error) {
      factsOf(request).errorCode = toGatewayError(error).code;
      return sendError(reply.headers(headers), adapter.dialect, error);
    }
  }
  noteCanonical(request, canonical);
  const facts = factsOf(request);
  const signal = clientAbortSignal(reply);
  const context: GenerationContext = {
    pool: observedPool(services, request),
    upstream: services.upstream,
    now: services.now,
  };

  const config = services.config();
  const channel = createSseChannel(reply, {
    heartbeatIntervalMs: config.server.heartbeatIntervalMs,
    onHeartbeat: () => services.metrics.recordHeartbeat(),
    ...(adapter.heartbeatFrame === undefined ? {} : { heartbeatFrame: adapter.heartbeatFrame }),
  });
  try {
    for (;;) {
      try {
        const report = await streamGeneration({
          context,
          canonical,
          createEncoder: (accountId) => adapter.createEncoder(accountId),
          channel,
          signal,
          heartbeatIntervalMs: config.server.heartbeatIntervalMs,
          responseHeaders: headers,
        });
        applyReport(request, report);
        break;
      } catch (error) {
        // Nothing reached the client yet, so the route may still change its mind and try a different request.
        const retry =
          channel.committed || channel.closed || signal.aborted
            ? undefined
            : options.retryBeforeCommit?.(toGatewayError(error), canonical);
        if (retry === undefined) throw error;
        canonical = retry;
      }
    }
  } catch (error) {
    const gatewayError = toGatewayError(error);
    facts.errorCode = gatewayError.code;
    if (signal.aborted || channel.closed) {
      channel.end();
    } else if (channel.committed) {
      // Past the commit point (a heartbeat already went out): the failure travels in-band.
      const encoder = adapter.createEncoder('');
      await channel.write([
        ...encoder.push({ type: 'error', code: gatewayError.code, message: gatewayError.message }),
        ...encoder.end(),
      ]);
      channel.end();
    } else {
      return sendError(reply.headers(headers), adapter.dialect, gatewayError);
    }
  }
  return reply;
}
