/**
 * OpenAI image generation and editing → a canonical request for a Gemini image model: the prompt (after the input
 * images, for edits) as one user turn, `size` as `imageConfig.aspectRatio`. The envelope then goes out with
 * `requestType: "image_gen"` (src/protocols/canonical/envelope.ts). One canonical request makes one image.
 */
import { GatewayError } from '../../errors/catalogue.ts';
import { defaultSafetySettings } from '../canonical/safety.ts';
import type { CanonicalRequest, GeminiPart } from '../canonical/types.ts';
import { isImageModel, resolveModel } from '../models.ts';
import { deriveSessionKey } from '../session-key.ts';
import type { ImageRequest } from './images-schema.ts';

/** The image model used when the client names none, or names an OpenAI image model (dall-e-*, gpt-image-*). */
export const defaultImageModel = 'gemini-3.1-flash-image';

/** Aspect ratios Gemini image models accept. */
export const aspectRatios = ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'] as const;

export interface ImageTranslationOptions {
  customMapping: Readonly<Record<string, string>>;
  /** Retired upstream id → its replacement (`deprecatedModelIds`; protocols/models.ts). */
  modelForwarding?: Readonly<Record<string, string>>;
  sessionHeader?: string;
}

export interface InputImage {
  mimeType: string;
  /** Base64. */
  data: string;
}

function invalid(message: string): GatewayError {
  return new GatewayError('AGW_INVALID_REQUEST', message);
}

/**
 * `1024x1792` → the supported aspect ratio closest to 1024:1792 (`9:16`); `16:9` must be one of the supported
 * ratios; `auto` (or nothing) leaves the choice to the model.
 */
export function aspectRatioFor(size: string | null | undefined): string | undefined {
  if (size === undefined || size === null || size === 'auto') return undefined;
  if ((aspectRatios as readonly string[]).includes(size)) return size;
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  const width = Number(match?.[1] ?? 0);
  const height = Number(match?.[2] ?? 0);
  if (match === null || width === 0 || height === 0) {
    throw invalid(`size: "${size}" is not WIDTHxHEIGHT, auto, or one of ${aspectRatios.join(', ')}`);
  }
  const target = Math.log(width / height);
  let best: string = aspectRatios[0];
  let distance = Number.POSITIVE_INFINITY;
  for (const ratio of aspectRatios) {
    const [w, h] = ratio.split(':').map(Number) as [number, number];
    const gap = Math.abs(Math.log(w / h) - target);
    if (gap < distance) {
      best = ratio;
      distance = gap;
    }
  }
  return best;
}

/** The upstream image model for the client's model name (a custom mapping wins over the OpenAI names). */
export function imageModelFor(
  clientModel: string | undefined,
  customMapping: Readonly<Record<string, string>>,
  forwarding: Readonly<Record<string, string>> = {},
): string {
  if (clientModel === undefined) return defaultImageModel;
  const { upstreamModel, rule } = resolveModel(clientModel, { customMapping, forwarding });
  const mapped = rule === 'custom-exact' || rule === 'custom-wildcard';
  if (!mapped && /^(dall-e|gpt-image)/.test(clientModel)) return defaultImageModel;
  if (isImageModel(upstreamModel)) return upstreamModel;
  throw invalid(`model: "${clientModel}" is not an image model (try ${defaultImageModel})`);
}

/** One image generation (or edit, with `images`) as a non-stream canonical request. */
export function toImageCanonicalRequest(
  body: ImageRequest,
  images: readonly InputImage[],
  options: ImageTranslationOptions,
): CanonicalRequest {
  const upstreamModel = imageModelFor(body.model, options.customMapping, options.modelForwarding);
  const parts: GeminiPart[] = images.map((image) => ({ inlineData: { mimeType: image.mimeType, data: image.data } }));
  parts.push({ text: body.prompt });
  const imageConfig: Record<string, string> = {};
  const aspectRatio = aspectRatioFor(body.size);
  if (aspectRatio !== undefined) imageConfig['aspectRatio'] = aspectRatio;
  if (typeof body.image_size === 'string') imageConfig['imageSize'] = body.image_size;
  return {
    protocol: 'openai',
    clientModel: body.model ?? defaultImageModel,
    upstreamModel,
    stream: false,
    sessionKey: deriveSessionKey({ explicit: options.sessionHeader, texts: [body.prompt] }),
    request: {
      contents: [{ role: 'user', parts }],
      generationConfig: { candidateCount: 1, ...(Object.keys(imageConfig).length > 0 ? { imageConfig } : {}) },
      safetySettings: defaultSafetySettings.map((setting) => ({ ...setting })),
    },
    toolNames: [],
  };
}
