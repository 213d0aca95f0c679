/**
 * Anthropic Messages: `/v1/messages` (streaming and not) and `/v1/messages/count_tokens`. A thinking-signature
 * rejection from upstream is retried once without the thinking blocks (the reference's flag never cleared).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { toGatewayError } from '../../errors/catalogue.ts';
import { countTokens } from '../../protocols/anthropic/count-tokens.ts';
import { parseCountTokensRequest, parseMessagesRequest } from '../../protocols/anthropic/request-schema.ts';
import { type AnthropicCanonicalRequest, toCanonicalRequest } from '../../protocols/anthropic/request-translator.ts';
import { buildMessagesResponse } from '../../protocols/anthropic/response-builder.ts';
import { createSignatureRetryGuard } from '../../protocols/anthropic/signature-retry.ts';
import { createMessagesStreamEncoder } from '../../protocols/anthropic/stream-encoder.ts';
import { factsOf } from '../request-context.ts';
import { collectForRequest, type DialectAdapter, serveGeneration } from '../serve-generation.ts';
import type { GatewayServices } from '../services.ts';
import { optionalSession, sessionHeader } from '../session-header.ts';

export function registerAnthropicRoutes(app: FastifyInstance, services: GatewayServices): void {
  app.post('/v1/messages', async (request, reply) => {
    const facts = factsOf(request);
    facts.protocol = 'anthropic';
    facts.route = '/v1/messages';
    facts.logged = true;
    const config = services.config();
    const parsed = parseMessagesRequest(request.body, { allowUrlSources: config.server.allowRemoteImages });
    facts.clientModel = parsed.model;
    let canonical: AnthropicCanonicalRequest = toCanonicalRequest(parsed, {
      customMapping: config.models.customMapping,
      signatureStore: services.signatureStore,
      ...(config.models.backgroundTaskDowngrade ? { backgroundTaskModel: config.models.backgroundTaskModel } : {}),
      ...optionalSession(sessionHeader(request)),
    });
    const messageId = `msg_${randomUUID().replaceAll('-', '')}`;
    const adapterFor = (current: AnthropicCanonicalRequest): DialectAdapter => ({
      dialect: 'anthropic',
      heartbeatFrame: 'event: ping\ndata: {"type":"ping"}\n\n',
      createEncoder: (accountId) =>
        createMessagesStreamEncoder({
          messageId,
          clientModel: parsed.model,
          signatureStore: services.signatureStore,
          sessionKey: current.sessionKey,
          accountId,
          family: current.family,
        }),
      buildResponse: (collected) =>
        buildMessagesResponse(collected.events, {
          messageId,
          clientModel: parsed.model,
          signatureStore: services.signatureStore,
          sessionKey: current.sessionKey,
          accountId: collected.report.accountId ?? '',
          family: current.family,
        }),
    });
    const guard = createSignatureRetryGuard();
    if (!canonical.stream) {
      // Non-stream answers are built before anything is sent, so a signature rejection can be retried here.
      for (;;) {
        try {
          const collected = await collectForRequest(services, request, reply, canonical);
          return reply
            .header('x-mapped-model', canonical.upstreamModel)
            .send(adapterFor(canonical).buildResponse(collected));
        } catch (error) {
          reply.header('x-mapped-model', canonical.upstreamModel);
          const gatewayError = toGatewayError(error);
          const retry = guard.retryFor(
            canonical,
            gatewayError.upstreamStatus ?? gatewayError.status,
            gatewayError.message,
          );
          if (retry === undefined) throw gatewayError;
          canonical = retry as AnthropicCanonicalRequest;
        }
      }
    }
    return serveGeneration(services, request, reply, canonical, adapterFor(canonical), {
      retryBeforeCommit: (error, current) =>
        guard.retryFor(current, error.upstreamStatus ?? error.status, error.message),
    });
  });

  app.post('/v1/messages/count_tokens', async (request) => {
    const facts = factsOf(request);
    facts.protocol = 'anthropic';
    facts.route = '/v1/messages/count_tokens';
    return countTokens(parseCountTokensRequest(request.body));
  });
}
