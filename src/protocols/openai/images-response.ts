/**
 * Generated images → OpenAI's images response: `b64_json`, or `url` as a data URL (agw hosts no files).
 */
import { GatewayError } from '../../errors/catalogue.ts';
import { collectEvents } from '../canonical/envelope.ts';
import type { CanonicalEvent, CanonicalUsage } from '../canonical/types.ts';
import { gatewayErrorFromEvent } from './errors.ts';

export type ImageData = { b64_json: string } | { url: string };

export interface ImagesResponse {
  created: number;
  data: ImageData[];
  /** Summed over the generations; Google does not split input tokens into text and image tokens. */
  usage: { input_tokens: number; output_tokens: number; total_tokens: number };
}

/** The images of one generation; an answer without any image is an error that says what the model said instead. */
export function imagesOf(events: Iterable<CanonicalEvent>, format: 'b64_json' | 'url'): ImageData[] {
  const message = collectEvents(events);
  if (message.error !== undefined) throw gatewayErrorFromEvent(message.error.code, message.error.message);
  const images: ImageData[] = [];
  for (const block of message.blocks) {
    if (block.type !== 'inline-data') continue;
    images.push(format === 'url' ? { url: `data:${block.mimeType};base64,${block.data}` } : { b64_json: block.data });
  }
  if (images.length === 0) {
    const said = message.text.trim().slice(0, 300);
    const reason = message.finish?.reason === 'safety' ? ' (blocked by the safety filter)' : '';
    throw new GatewayError(
      'AGW_UPSTREAM_INVALID_RESPONSE',
      `the image model answered without an image${reason}${said === '' ? '' : `: ${said}`}`,
    );
  }
  return images;
}

export function buildImagesResponse(
  created: number,
  data: ImageData[],
  usages: ReadonlyArray<CanonicalUsage | undefined>,
): ImagesResponse {
  let input = 0;
  let output = 0;
  for (const usage of usages) {
    input += usage?.inputTokens ?? 0;
    output += usage?.outputTokens ?? 0;
  }
  return {
    created,
    data,
    usage: { input_tokens: input, output_tokens: output, total_tokens: input + output },
  };
}
