/**
 * OpenAI image generation and editing (`POST /v1/images/generations`, `POST /v1/images/edits`) on a Gemini image
 * model. Each requested image is one non-stream generation through the pool (`n` of them run side by side); the
 * answer holds the images of those that succeeded, and fails only when none did.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../errors/catalogue.ts';
import type { CanonicalUsage } from '../../protocols/canonical/types.ts';
import { dataUrlPattern } from '../../protocols/openai/chat-request.ts';
import { type InputImage, toImageCanonicalRequest } from '../../protocols/openai/images-request.ts';
import { buildImagesResponse, type ImageData, imagesOf } from '../../protocols/openai/images-response.ts';
import { type ImageRequest, parseImageRequest } from '../../protocols/openai/images-schema.ts';
import { relayCollect } from '../../relay/collect.ts';
import { factsOf } from '../request-context.ts';
import { clientAbortSignal, relayServices } from '../serve-generation.ts';
import type { GatewayServices } from '../services.ts';
import { optionalSession, sessionHeader } from '../session-header.ts';

function invalid(message: string): GatewayError {
  return new GatewayError('AGW_INVALID_REQUEST', message);
}

const extensionTypes: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
};

function imageTypeOf(file: File): string {
  if (file.type.startsWith('image/')) return file.type;
  const extension = file.name.split('.').at(-1)?.toLowerCase() ?? '';
  return extensionTypes[extension] ?? 'image/png';
}

function dataUrlImage(value: unknown, field: string): InputImage {
  const match = typeof value === 'string' ? dataUrlPattern.exec(value) : null;
  if (match === null) throw invalid(`${field}: must be a base64 data: URL`);
  return { mimeType: match[1] as string, data: match[2] as string };
}

/**
 * The fields and input images of an edit: multipart as the SDKs send it (`image` or `image[]` files; `mask` is
 * accepted and ignored, Gemini has no masks), or JSON with data URLs in `images[].image_url` or `image`.
 */
async function readEdit(request: FastifyRequest): Promise<{ fields: Record<string, unknown>; images: InputImage[] }> {
  const contentType = request.headers['content-type'] ?? '';
  if (!contentType.startsWith('multipart/form-data')) {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const listed = Array.isArray(body['images']) ? (body['images'] as Array<{ image_url?: unknown }>) : [];
    const images = listed.map((entry, index) => dataUrlImage(entry?.image_url, `images.${index}.image_url`));
    if (body['image'] !== undefined) images.push(dataUrlImage(body['image'], 'image'));
    return { fields: body, images };
  }
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(request.body as Buffer), {
      headers: { 'content-type': contentType },
    }).formData();
  } catch (error) {
    throw invalid(`the multipart body cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  const fields: Record<string, unknown> = {};
  const images: InputImage[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') {
      fields[name] = value;
    } else if (name === 'image' || name === 'image[]') {
      images.push({ mimeType: imageTypeOf(value), data: Buffer.from(await value.arrayBuffer()).toString('base64') });
    }
  }
  return { fields, images };
}

function sumUsage(usages: ReadonlyArray<CanonicalUsage | undefined>): CanonicalUsage {
  const total = { inputTokens: 0, outputTokens: 0, thoughtTokens: 0, cachedTokens: 0, totalTokens: 0 };
  for (const usage of usages) {
    if (usage === undefined) continue;
    total.inputTokens += usage.inputTokens;
    total.outputTokens += usage.outputTokens;
    total.thoughtTokens += usage.thoughtTokens;
    total.cachedTokens += usage.cachedTokens;
    total.totalTokens += usage.totalTokens;
  }
  return total;
}

export function registerOpenAiImagesRoutes(app: FastifyInstance, services: GatewayServices): void {
  async function generate(
    request: FastifyRequest,
    reply: FastifyReply,
    body: ImageRequest,
    images: InputImage[],
  ): Promise<FastifyReply> {
    const facts = factsOf(request);
    const canonical = toImageCanonicalRequest(body, images, {
      customMapping: services.config().models.customMapping,
      modelForwarding: services.modelForwarding?.() ?? {},
      ...optionalSession(sessionHeader(request)),
    });
    reply.header('x-mapped-model', canonical.upstreamModel);
    const format = body.response_format ?? 'b64_json';
    facts.logged = true;
    facts.clientModel = canonical.clientModel;
    facts.mappedModel = canonical.upstreamModel;
    facts.stream = false;
    const signal = clientAbortSignal(reply);
    const outcomes = await Promise.allSettled(
      Array.from({ length: body.n ?? 1 }, async () => {
        const collected = await relayCollect(relayServices(services), { canonical, signal, facts });
        const usage = collected.events.findLast((event) => event.type === 'usage');
        return { data: imagesOf(collected.events, format), usage: usage?.type === 'usage' ? usage.usage : undefined };
      }),
    );
    const succeeded = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    if (succeeded.length === 0) {
      const failure = outcomes.find((outcome) => outcome.status === 'rejected');
      throw failure?.reason ?? new GatewayError('AGW_INTERNAL', 'no image generation ran');
    }
    const usages = succeeded.map((outcome) => outcome.usage);
    // A generation that failed beside others that succeeded leaves its error code in the log row.
    facts.usage = sumUsage(usages);
    const data: ImageData[] = succeeded.flatMap((outcome) => outcome.data);
    return reply.send(buildImagesResponse(Math.floor(services.now() / 1000), data, usages));
  }

  function start(request: FastifyRequest, route: string): void {
    const facts = factsOf(request);
    facts.protocol = 'openai';
    facts.route = route;
    facts.logged = true;
  }

  app.post('/v1/images/generations', async (request, reply) => {
    start(request, '/v1/images/generations');
    return generate(request, reply, parseImageRequest(request.body), []);
  });

  // Multipart is parsed only here (inside this plugin's scope), into a buffer bounded by the body limit.
  app.register(async (scope) => {
    scope.addContentTypeParser(
      'multipart/form-data',
      { parseAs: 'buffer' },
      async (_request: FastifyRequest, body: Buffer) => body,
    );
    scope.post('/v1/images/edits', async (request, reply) => {
      start(request, '/v1/images/edits');
      const { fields, images } = await readEdit(request);
      const body = parseImageRequest(fields);
      if (images.length === 0) throw invalid('image: at least one input image is required');
      return generate(request, reply, body, images);
    });
  });
}
