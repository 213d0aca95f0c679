/**
 * Gemini native routes: `/v1beta/models`, `/v1beta/models/{model}` and `/v1beta/models/{model}:{method}` where
 * the method is generateContent, streamGenerateContent or countTokens (the whole `model:method` is one path
 * segment, split at its last colon).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../errors/catalogue.ts';
import {
  fromCountTokensResponse,
  toCanonicalRequest,
  toCountTokensRequest,
} from '../../protocols/gemini/generate-request.ts';
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
import type { StreamEncoder } from '../generation.ts';
import { factsOf } from '../request-context.ts';
import { clientAbortSignal, serveGeneration } from '../serve-generation.ts';
import type { GatewayServices } from '../services.ts';
import { optionalSession, sessionHeader } from '../session-header.ts';

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
  const modelIds = (): string[] => listModels(services.config().models.customMapping, accountModelNames());

  app.get('/v1beta/models', async () => geminiModelList(modelIds()));

  app.get('/v1beta/models/*', async (request) => {
    const { model } = splitModelAction((request.params as { '*': string })['*']);
    const id = model.replace(/^models\//, '');
    if (!modelIds().includes(id)) throw new GatewayError('AGW_NOT_FOUND', `model ${id} is not served by this gateway`);
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
      stream: method === 'streamGenerateContent',
      ...optionalSession(sessionHeader(request)),
    });
    return serveGeneration(services, request, reply, canonical, {
      dialect: 'gemini',
      createEncoder: (): StreamEncoder => ({
        push: (event) =>
          event.type === 'error' ? [geminiErrorFrame(new GatewayError(errorCode(event.code), event.message))] : [],
        pushUpstreamChunk: (chunk) => {
          const payload = unwrapUpstreamChunk(chunk);
          return payload === undefined ? [] : [geminiStreamFrame(payload)];
        },
        end: () => [],
      }),
      buildResponse: (collected) => buildGenerateResponse(collected.chunks),
    });
  });
}

function errorCode(code: string): ConstructorParameters<typeof GatewayError>[0] {
  return (code.startsWith('AGW_') ? code : 'AGW_UPSTREAM_STREAM_BROKEN') as ConstructorParameters<
    typeof GatewayError
  >[0];
}

async function countTokens(
  services: GatewayServices,
  request: FastifyRequest,
  reply: FastifyReply,
  model: string,
): Promise<unknown> {
  const body = parseGenerateRequest(request.body);
  const upstreamModel = resolveModel(model, { customMapping: services.config().models.customMapping }).upstreamModel;
  factsOf(request).mappedModel = upstreamModel;
  const signal = clientAbortSignal(reply);
  const result = await services.pool.execute<{ totalTokens: number }>(
    { model: upstreamModel, signal },
    async (lease) => {
      factsOf(request).attempts = lease.attempt;
      factsOf(request).accountId = lease.accountId;
      let response: Awaited<ReturnType<GatewayServices['upstream']['call']>>;
      try {
        response = await services.upstream.call({
          method: 'countTokens',
          accessToken: lease.accessToken,
          body: toCountTokensRequest(body),
          projectId: lease.projectId,
          model: upstreamModel,
          signal,
        });
      } catch (error) {
        return { ok: false, failure: { kind: 'network', message: String((error as Error).message), committed: false } };
      }
      const text = await response.text();
      if (response.status !== 200) {
        return {
          ok: false,
          failure: {
            kind: 'http',
            status: response.status,
            headers: response.headers,
            bodyText: text,
            committed: false,
          },
        };
      }
      try {
        return { ok: true, value: fromCountTokensResponse(JSON.parse(text)) };
      } catch {
        return {
          ok: false,
          failure: { kind: 'http', status: 200, headers: response.headers, bodyText: text, committed: false },
        };
      }
    },
  );
  reply.header('x-mapped-model', upstreamModel);
  return result;
}
