/** OpenAI Chat Completions and the model list. */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { listModels } from '../../protocols/models.ts';
import { buildChatCompletion } from '../../protocols/openai/chat-completion.ts';
import { toCanonicalRequest } from '../../protocols/openai/chat-request.ts';
import { parseChatRequest } from '../../protocols/openai/chat-schema.ts';
import { createChatStreamEncoder } from '../../protocols/openai/chat-stream.ts';
import { openAiModelList } from '../../protocols/openai/models-list.ts';
import { factsOf } from '../request-context.ts';
import { serveGeneration } from '../serve-generation.ts';
import type { GatewayServices } from '../services.ts';
import { optionalSession, sessionHeader } from '../session-header.ts';
import { modelsVisibleTo } from '../user-key-access.ts';

export function registerOpenAiRoutes(
  app: FastifyInstance,
  services: GatewayServices,
  accountModelNames: () => readonly string[],
): void {
  app.get('/v1/models', async (request) =>
    openAiModelList(modelsVisibleTo(request, listModels(services.config().models.customMapping, accountModelNames()))),
  );

  app.post('/v1/chat/completions', async (request, reply) => {
    const facts = factsOf(request);
    facts.protocol = 'openai';
    facts.route = '/v1/chat/completions';
    facts.logged = true;
    const chat = parseChatRequest(request.body);
    facts.clientModel = chat.model;
    const config = services.config();
    const canonical = toCanonicalRequest(chat, {
      customMapping: config.models.customMapping,
      modelForwarding: services.modelForwarding?.() ?? {},
      allowRemoteImages: config.server.allowRemoteImages,
      ...optionalSession(sessionHeader(request)),
    });
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(services.now() / 1000);
    return serveGeneration(services, request, reply, canonical, {
      dialect: 'openai',
      createEncoder: () =>
        createChatStreamEncoder({ id, created, model: chat.model, includeUsage: canonical.includeUsage }),
      buildResponse: (collected) => buildChatCompletion(collected.events, { id, created, model: chat.model }),
    });
  });
}
