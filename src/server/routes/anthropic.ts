/**
 * Anthropic Messages: `/v1/messages` (streaming and not) and `/v1/messages/count_tokens`. A thinking-signature
 * rejection from upstream gets one thinking-free retry in the relay, as for every dialect.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { countTokens } from '../../protocols/anthropic/count-tokens.ts';
import { parseCountTokensRequest, parseMessagesRequest } from '../../protocols/anthropic/request-schema.ts';
import { toCanonicalRequest } from '../../protocols/anthropic/request-translator.ts';
import { buildMessagesResponse } from '../../protocols/anthropic/response-builder.ts';
import { createMessagesStreamEncoder } from '../../protocols/anthropic/stream-encoder.ts';
import { materializeLifted } from '../../upstream/lifted-bytes.ts';
import { factsOf } from '../request-context.ts';
import { serveGeneration } from '../serve-generation.ts';
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
    const canonical = toCanonicalRequest(parsed, {
      customMapping: config.models.customMapping,
      modelForwarding: services.modelForwarding?.() ?? {},
      signatureStore: services.signatureStore,
      ...(config.models.backgroundTaskDowngrade ? { backgroundTaskModel: config.models.backgroundTaskModel } : {}),
      ...optionalSession(sessionHeader(request)),
    });
    const messageId = `msg_${randomUUID().replaceAll('-', '')}`;
    // Signatures are remembered per session, account and family; the thinking-free retry changes none of them.
    const encoderOptions = (accountId: string) => ({
      messageId,
      clientModel: parsed.model,
      signatureStore: services.signatureStore,
      sessionKey: canonical.sessionKey,
      accountId,
      family: canonical.family,
    });
    return serveGeneration(services, request, reply, canonical, {
      dialect: 'anthropic',
      heartbeatFrame: 'event: ping\ndata: {"type":"ping"}\n\n',
      createEncoder: (accountId) => createMessagesStreamEncoder(encoderOptions(accountId)),
      buildResponse: (collected) => buildMessagesResponse(collected.events, encoderOptions(collected.accountId)),
    });
  });

  app.post('/v1/messages/count_tokens', async (request) => {
    const facts = factsOf(request);
    facts.protocol = 'anthropic';
    facts.route = '/v1/messages/count_tokens';
    // The estimate reads the length of base64 documents, which a marker of a lifted image does not have.
    return countTokens(parseCountTokensRequest(materializeLifted(request.body)));
  });
}
