/**
 * OpenAI Responses API: `POST /v1/responses` (streaming and not), `POST /v1/responses/compact`,
 * `GET /v1/responses/{id}` and `DELETE /v1/responses/{id}`, on the same generation path as every other dialect.
 *
 * Answers are stored (unless the request says `store: false`) so a later request can continue the conversation by
 * naming one in `previous_response_id`; the store lives in the data directory's `agw.db` and is opened on first use.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../errors/catalogue.ts';
import type { CanonicalEvent } from '../../protocols/canonical/types.ts';
import {
  type ResponsesCanonicalRequest,
  toResponsesCanonicalRequest,
} from '../../protocols/openai/responses-request.ts';
import { buildCompactionResponse, buildResponsesResponse } from '../../protocols/openai/responses-response.ts';
import {
  parseResponsesRequest,
  type ResponsesInputItem,
  type ResponsesRequest,
} from '../../protocols/openai/responses-schema.ts';
import {
  createResponsesStreamEncoder,
  type ResponseObject,
  type ResponsesStreamOptions,
} from '../../protocols/openai/responses-stream.ts';
import { openResponseStoreOrDisabled, type ResponseStore } from '../../telemetry/response-store.ts';
import { materializeLifted } from '../../upstream/lifted-bytes.ts';
import { factsOf } from '../request-context.ts';
import { serveGeneration } from '../serve-generation.ts';
import type { GatewayServices } from '../services.ts';
import { optionalSession, sessionHeader } from '../session-header.ts';

/** Request settings the response object repeats back, as OpenAI's does. */
function echoOf(body: ResponsesRequest, previousResponseId: string | undefined): Record<string, unknown> {
  return {
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: previousResponseId ?? null,
    reasoning: { effort: body.reasoning?.effort ?? null, summary: body.reasoning?.summary ?? null },
    store: body.store !== false,
    temperature: body.temperature ?? null,
    text: { format: body.text?.format ?? { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? null,
    truncation: 'disabled',
    metadata: body.metadata ?? {},
  };
}

export function registerOpenAiResponsesRoutes(app: FastifyInstance, services: GatewayServices): void {
  let store: ResponseStore | undefined;
  const responses = (): ResponseStore => {
    store ??= openResponseStoreOrDisabled({
      path: join(services.config().dataDir, 'agw.db'),
      now: services.now,
      logger: services.logger,
    });
    return store;
  };
  app.addHook('onClose', async () => store?.close());

  /** The parsed body with its model known and the stored conversation it continues. */
  function resolve(
    request: FastifyRequest,
    route: string,
  ): { body: ResponsesRequest & { model: string }; history: ResponsesInputItem[] } {
    const facts = factsOf(request);
    facts.protocol = 'openai';
    facts.route = route;
    facts.logged = true;
    const body = parseResponsesRequest(request.body);
    let history: ResponsesInputItem[] = [];
    let model = body.model;
    const previousId = body.previous_response_id ?? undefined;
    if (previousId !== undefined) {
      const previous = responses().get(previousId);
      if (previous === undefined) {
        throw new GatewayError(
          'AGW_NOT_FOUND',
          `previous_response_id: no stored response "${previousId}" (it was stored with store: false, deleted or has expired)`,
        );
      }
      history = previous.items as ResponsesInputItem[];
      model ??= previous.model;
    }
    if (model === undefined) throw new GatewayError('AGW_INVALID_REQUEST', 'model: required');
    facts.clientModel = model;
    return { body: { ...body, model }, history };
  }

  function translate(
    request: FastifyRequest,
    body: ResponsesRequest & { model: string },
    history: ResponsesInputItem[],
    compaction: boolean,
  ): ResponsesCanonicalRequest {
    const config = services.config();
    return toResponsesCanonicalRequest(body, {
      customMapping: config.models.customMapping,
      modelForwarding: services.modelForwarding?.() ?? {},
      allowRemoteImages: config.server.allowRemoteImages,
      history,
      compaction,
      ...optionalSession(sessionHeader(request)),
    });
  }

  function encoderOptions(
    body: ResponsesRequest & { model: string },
    canonical: ResponsesCanonicalRequest,
  ): ResponsesStreamOptions {
    return {
      responseId: `resp_${randomUUID().replaceAll('-', '')}`,
      createdAt: Math.floor(services.now() / 1000),
      model: body.model,
      family: canonical.family,
      toolKinds: canonical.toolKinds,
      compaction: canonical.compaction,
      echo: echoOf(body, body.previous_response_id ?? undefined),
    };
  }

  app.post('/v1/responses', async (request: FastifyRequest, reply: FastifyReply) => {
    const { body, history } = resolve(request, '/v1/responses');
    const canonical = translate(request, body, history, false);
    const options = encoderOptions(body, canonical);
    const remember = (response: ResponseObject | undefined): void => {
      if (body.store === false || response === undefined || response.status === 'failed') return;
      responses().save({
        id: response.id,
        createdAt: services.now(),
        model: body.model,
        response,
        // Stored past this request, so images kept as bytes become strings again (lifted-bytes.ts).
        items: materializeLifted([...canonical.items, ...response.output]),
      });
    };
    return serveGeneration(services, request, reply, canonical, {
      dialect: 'openai',
      createEncoder: () => {
        const encoder = createResponsesStreamEncoder(options);
        return {
          push: (event: CanonicalEvent) => encoder.push(event),
          end: () => {
            const frames = encoder.end();
            remember(encoder.response());
            return frames;
          },
        };
      },
      buildResponse: (collected) => {
        const response = buildResponsesResponse(collected.events, options);
        remember(response);
        return response;
      },
    });
  });

  app.post('/v1/responses/compact', async (request, reply) => {
    const { body, history } = resolve(request, '/v1/responses/compact');
    const canonical = translate(request, body, history, true);
    const options = encoderOptions(body, canonical);
    return serveGeneration(services, request, reply, canonical, {
      dialect: 'openai',
      // Compaction answers are never streamed (the translator clears `stream`); this encoder is never used.
      createEncoder: () => createResponsesStreamEncoder(options),
      // The answer repeats the user's messages, images included: the client gets the strings it sent.
      buildResponse: (collected) =>
        materializeLifted(buildCompactionResponse(collected.events, options, canonical.items)),
    });
  });

  app.get<{ Params: { id: string } }>('/v1/responses/:id', async (request) => {
    const stored = responses().get(request.params.id);
    if (stored === undefined) {
      throw new GatewayError('AGW_NOT_FOUND', `no stored response "${request.params.id}"`);
    }
    return stored.response;
  });

  app.delete<{ Params: { id: string } }>('/v1/responses/:id', async (request) => {
    if (!responses().delete(request.params.id)) {
      throw new GatewayError('AGW_NOT_FOUND', `no stored response "${request.params.id}"`);
    }
    return { id: request.params.id, object: 'response.deleted', deleted: true };
  });
}
