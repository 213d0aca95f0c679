/**
 * Gemini native routes: `/v1beta/models`, `/v1beta/models/{model}` and `/v1beta/models/{model}:{method}` where
 * the method is generateContent, streamGenerateContent or countTokens (the whole `model:method` is one path
 * segment, split at its last colon).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../errors/catalogue.ts';
import { toCanonicalRequest, toCountTokensRequest } from '../../protocols/gemini/generate-request.ts';
import { parseGenerateRequest } from '../../protocols/gemini/generate-schema.ts';
import {
  buildGenerateResponse,
  geminiErrorFrame,
  geminiModel,
  geminiModelList,
  geminiStreamFrame,
  unwrapUpstreamChunk,
} from '../../protocols/gemini/response.ts';
import { listModels, resolveModel } from '../../protocols/models.ts';
import { relayCountTokens } from '../../relay/count-tokens.ts';
import { factsOf } from '../request-context.ts';
import { clientAbortSignal, relayServices, serveGeneration } from '../serve-generation.ts';
import type { GatewayServices } from '../services.ts';
import { optionalSession, sessionHeader } from '../session-header.ts';
import { modelsVisibleTo } from '../user-key-access.ts';

function splitModelAction(segment: string): { model: string; method: string | undefined } {
  const decoded = decodeURIComponent(segment);
  const colon = decoded.lastIndexOf(':');
  if (colon < 0) return { model: decoded, method: undefined };
  return { model: decoded.slice(0, colon), method: decoded.slice(colon + 1) };
}

export function registerGeminiRoutes(
  app: FastifyInstance,
  services: GatewayServices,
  accountModelNames: () => readonly string[],
): void {
  const modelIds = (request: FastifyRequest): readonly string[] =>
    modelsVisibleTo(request, listModels(services.config().models.customMapping, accountModelNames()));

  app.get('/v1beta/models', async (request) => geminiModelList(modelIds(request)));

  app.get('/v1beta/models/*', async (request) => {
    const { model } = splitModelAction((request.params as { '*': string })['*']);
    const id = model.replace(/^models\//, '');
    if (!modelIds(request).includes(id))
      throw new GatewayError('AGW_NOT_FOUND', `model ${id} is not served by this gateway`);
    return geminiModel(id);
  });

  app.post('/v1beta/models/*', async (request, reply) => {
    const facts = factsOf(request);
    facts.protocol = 'gemini';
    facts.logged = true;
    const { model, method } = splitModelAction((request.params as { '*': string })['*']);
    facts.route = `/v1beta/models/{model}:${method ?? ''}`;
    facts.clientModel = model;
    if (method === 'countTokens') return countTokens(services, request, reply, model);
    if (method !== 'generateContent' && method !== 'streamGenerateContent') {
      throw new GatewayError(
        'AGW_NOT_FOUND',
        `unsupported method "${method ?? ''}": use generateContent, streamGenerateContent or countTokens`,
      );
    }
    const body = parseGenerateRequest(request.body);
    const canonical = toCanonicalRequest(body, model, {
      customMapping: services.config().models.customMapping,
      modelForwarding: services.modelForwarding?.() ?? {},
      stream: method === 'streamGenerateContent',
      ...optionalSession(sessionHeader(request)),
    });
    // Google's own chunks go to the client as they are (unwrapped), not re-encoded from canonical events.
    return serveGeneration(services, request, reply, canonical, {
      dialect: 'gemini',
      passthrough: true,
      createEncoder: () => ({
        pushChunk: (chunk) => {
          const payload = unwrapUpstreamChunk(chunk);
          return payload === undefined ? [] : [geminiStreamFrame(payload)];
        },
        fail: (code, message) => [geminiErrorFrame(new GatewayError(code, message))],
        end: () => [],
      }),
      buildResponse: (collected) => buildGenerateResponse(collected.chunks),
    });
  });
}

async function countTokens(
  services: GatewayServices,
  request: FastifyRequest,
  reply: FastifyReply,
  model: string,
): Promise<unknown> {
  const body = parseGenerateRequest(request.body);
  const upstreamModel = resolveModel(model, {
    customMapping: services.config().models.customMapping,
    forwarding: services.modelForwarding?.() ?? {},
  }).upstreamModel;
  const facts = factsOf(request);
  facts.mappedModel = upstreamModel;
  reply.header('x-mapped-model', upstreamModel);
  return relayCountTokens(relayServices(services), {
    model: upstreamModel,
    body: toCountTokensRequest(body),
    signal: clientAbortSignal(reply),
    facts,
  });
}
