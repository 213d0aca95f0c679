/**
 * What every generation route does after parsing and translating: hand the canonical request to the relay,
 * streamed or collected, and encode the outcome in the route's dialect. Routes give a `DialectAdapter` (canonical
 * events) or a `PassthroughAdapter` (Gemini's native API forwards Google's chunks), and the relay does the rest.
 * A client that leaves before the end still gets its request-log row (status 499, see docs/observability.md).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../errors/catalogue.ts';
import { parsePromptRewriteRules, rewriteSystemPrompt } from '../protocols/canonical/prompt-rewrite.ts';
import type { CanonicalRequest } from '../protocols/canonical/types.ts';
import { type CollectedAnswer, relayCollect } from '../relay/collect.ts';
import type { PassthroughEncoder, StreamEncoder, StreamOutput } from '../relay/encoders.ts';
import type { RelayServices } from '../relay/ports.ts';
import { relayStream } from '../relay/stream.ts';
import { type Dialect, sendError } from './dialect.ts';
import { factsOf } from './request-context.ts';
import { clientClosedStatus, recordRequest } from './request-record.ts';
import type { GatewayServices } from './services.ts';
import { createSseChannel } from './sse-channel.ts';

interface AdapterBase {
  dialect: Dialect;
  /** The keep-alive frame: a `: ping` comment unless the dialect has its own (Anthropic's `event: ping`). */
  heartbeatFrame?: string;
  /** The non-stream answer; may throw a GatewayError (e.g. a truncated answer). */
  buildResponse(collected: CollectedAnswer): unknown;
}

/** A dialect that encodes canonical events. */
export interface DialectAdapter extends AdapterBase {
  passthrough?: false;
  /** `accountId` is the serving account, or '' when the stream failed before one answered. */
  createEncoder(accountId: string): StreamEncoder;
}

/** A dialect that forwards the upstream chunks as they are (Gemini native). */
export interface PassthroughAdapter extends AdapterBase {
  passthrough: true;
  createEncoder(): PassthroughEncoder;
}

/** Aborts when the client goes away before the response finished. */
export function clientAbortSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) {
      controller.abort(new GatewayError('AGW_CLIENT_CLOSED', 'the client closed the connection'));
    }
  });
  return controller.signal;
}

export function relayServices(services: GatewayServices): RelayServices {
  return {
    pool: services.pool,
    upstream: services.upstream,
    metrics: services.metrics,
    now: services.now,
    ...(services.mayPayWithCredits === undefined ? {} : { mayPayWithCredits: services.mayPayWithCredits }),
  };
}

function streamOutput(adapter: DialectAdapter | PassthroughAdapter): StreamOutput {
  if (adapter.passthrough === true) return { kind: 'passthrough', createEncoder: () => adapter.createEncoder() };
  return { kind: 'events', createEncoder: (accountId) => adapter.createEncoder(accountId) };
}

function withPromptRewrite(canonical: CanonicalRequest, phrases: readonly string[]): CanonicalRequest {
  if (phrases.length === 0) return canonical;
  const request = rewriteSystemPrompt(canonical.request, parsePromptRewriteRules(phrases));
  return request === canonical.request ? canonical : { ...canonical, request };
}

export async function serveGeneration(
  services: GatewayServices,
  request: FastifyRequest,
  reply: FastifyReply,
  translated: CanonicalRequest,
  adapter: DialectAdapter | PassthroughAdapter,
): Promise<FastifyReply> {
  // The optional rewrite of prompt-filter trigger phrases (docs/upstream.md), once for every generation route.
  const canonical = withPromptRewrite(translated, services.config().models.promptRewrite);
  const facts = factsOf(request);
  facts.logged = true;
  facts.clientModel = canonical.clientModel;
  facts.mappedModel = canonical.upstreamModel;
  facts.stream = canonical.stream;
  reply.header('x-mapped-model', canonical.upstreamModel);
  const signal = clientAbortSignal(reply);
  try {
    if (!canonical.stream) {
      const collected = await relayCollect(relayServices(services), { canonical, signal, facts });
      return reply.send(adapter.buildResponse(collected));
    }
    const sink = createSseChannel(
      reply,
      adapter.heartbeatFrame === undefined ? {} : { heartbeatFrame: adapter.heartbeatFrame },
    );
    await relayStream(relayServices(services), {
      canonical,
      signal,
      sink,
      output: streamOutput(adapter),
      facts,
      heartbeatIntervalMs: services.config().server.heartbeatIntervalMs,
    });
    return reply;
  } catch (error) {
    // Nobody is left to answer.
    if (signal.aborted) return reply;
    return sendError(reply, adapter.dialect, error);
  } finally {
    // A client that leaves before the answer ended gets no response, so Fastify reports none: the row is written
    // here, once the relay is done (so it holds every fact), also when the client leaves while the last bytes flush.
    const recordClosed = (): void =>
      recordRequest(services, request, {
        status: clientClosedStatus,
        totalMs: reply.elapsedTime,
        errorCode: 'AGW_CLIENT_CLOSED',
      });
    if (signal.aborted) recordClosed();
    else signal.addEventListener('abort', recordClosed, { once: true });
  }
}
