/** The JSON chunks of an upstream SSE body, in order (frames without data and `[DONE]` are skipped). */
import { GatewayError } from '../errors/catalogue.ts';
import { parseJsonData, parseSse } from '../upstream/sse-reader.ts';

export async function* upstreamChunks(body: AsyncIterable<Uint8Array>): AsyncGenerator<unknown, void, undefined> {
  for await (const frame of parseSse(body)) {
    let chunk: unknown;
    try {
      chunk = parseJsonData(frame);
    } catch {
      // A data line that is not JSON inside an answer: nothing after it can be trusted.
      throw new GatewayError('AGW_UPSTREAM_INVALID_RESPONSE', 'upstream sent a stream frame that is not JSON');
    }
    if (chunk !== undefined) yield chunk;
  }
}
