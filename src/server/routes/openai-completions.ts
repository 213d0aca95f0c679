/** Legacy OpenAI Completions (`POST /v1/completions`), streaming and not, on the shared generation path. */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { toCompletionsCanonicalRequest } from '../../protocols/openai/completions-request.ts';
import { buildTextCompletion } from '../../protocols/openai/completions-response.ts';
import { parseCompletionsRequest, promptOf } from '../../protocols/openai/completions-schema.ts';
import { createCompletionsStreamEncoder } from '../../protocols/openai/completions-stream.ts';
import { factsOf } from '../request-context.ts';
import { serveGeneration } from '../serve-generation.ts';
import type { GatewayServices } from '../services.ts';
import { optionalSession, sessionHeader } from '../session-header.ts';

export function registerOpenAiCompletionsRoutes(app: FastifyInstance, services: GatewayServices): void {
  app.post('/v1/completions', async (request, reply) => {
    const facts = factsOf(request);
    facts.protocol = 'openai';
    facts.route = '/v1/completions';
    facts.logged = true;
    const body = parseCompletionsRequest(request.body);
    facts.clientModel = body.model;
    const canonical = toCompletionsCanonicalRequest(body, {
      customMapping: services.config().models.customMapping,
      modelForwarding: services.modelForwarding?.() ?? {},
      ...optionalSession(sessionHeader(request)),
    });
    const options = {
      id: `cmpl-${randomBytes(14).toString('hex')}`,
      created: Math.floor(services.now() / 1000),
      model: body.model,
      ...(body.echo === true ? { echoPrompt: promptOf(body) } : {}),
    };
    return serveGeneration(services, request, reply, canonical, {
      dialect: 'openai',
      createEncoder: () => createCompletionsStreamEncoder({ ...options, includeUsage: canonical.includeUsage }),
      buildResponse: (collected) => buildTextCompletion(collected.events, options),
    });
  });
}
