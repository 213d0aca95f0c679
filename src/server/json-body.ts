/**
 * The JSON body parser. Image prompts arrive as base64 strings of many megabytes. Gathering such a body into one
 * buffer, decoding it to a string, parsing it, and later encoding the image again for Google each held the event
 * loop for over 100 ms on a 30 MB body (JSON.parse and JSON.stringify over it, for seconds, before that): every
 * other request, health checks included, waited.
 *
 * So the body is read as the stream of chunks it arrives in, and each chunk is scanned as it comes
 * (json-scanner.ts, a few microseconds per KiB; a chunk larger than a slice is scanned a slice per turn). Long
 * base64 runs in media values (`data`, `url`, …) are not copied at all: they are kept as slices of the received
 * chunks under a marker (src/upstream/lifted-bytes.ts) and sent upstream from those same chunks. Only the rest of
 * the body (the texts, the settings), with markers in place of the runs, is gathered and parsed.
 */
import { errorCodes } from 'fastify';
import secureJsonParse from 'secure-json-parse';
import { GatewayError } from '../errors/catalogue.ts';
import type { LiftedScope } from '../upstream/lifted-bytes.ts';
import { type ByteRange, createJsonScanner, type JsonScanner } from './json-scanner.ts';

/** Base64 runs at least this long (bytes) are kept as bytes; shorter ones cost less to parse in place. */
export const liftedRunBytes = 64 * 1024;
/** Bodies that may be this long are worth scanning (smaller ones are parsed as they are). */
export const scannedBodyBytes = 256 * 1024;
/** Most bytes scanned in one turn of the event loop. */
const scanSliceBytes = 256 * 1024;
/**
 * The keys whose string values carry media in the dialects served: OpenAI `image_url.url`, `input_audio.data`,
 * `file.file_data`, Responses `image_url`, image edits' `image`, Anthropic `source.data`, Gemini
 * `inlineData.data`. Only these are lifted, so a long base64 text elsewhere (a thinking signature, say) stays the
 * string that code compares and stores.
 */
export const mediaKeys: ReadonlySet<string> = new Set(['data', 'url', 'image_url', 'file_data', 'image']);

// Fastify's own defaults: a body that tries to set __proto__ or constructor.prototype is refused.
const parseOptions = { protoAction: 'error', constructorAction: 'error' } as const;

function parseText(text: string): unknown {
  try {
    return secureJsonParse.parse(text, undefined, parseOptions);
  } catch (error) {
    throw new GatewayError('AGW_INVALID_JSON', `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

function newScanner(): JsonScanner {
  return createJsonScanner({ minimumRunBytes: liftedRunBytes, keys: mediaKeys });
}

/** Cuts byte ranges, in increasing order, out of a list of chunks without copying. */
function chunkCutter(chunks: readonly Buffer[]): (start: number, end: number) => Buffer[] {
  let chunkIndex = 0;
  let chunkStart = 0;
  return (start, end) => {
    const pieces: Buffer[] = [];
    let position = start;
    while (position < end && chunkIndex < chunks.length) {
      const chunk = chunks[chunkIndex] as Buffer;
      const chunkEnd = chunkStart + chunk.length;
      if (position >= chunkEnd) {
        chunkIndex += 1;
        chunkStart = chunkEnd;
        continue;
      }
      const until = Math.min(end, chunkEnd);
      pieces.push(chunk.subarray(position - chunkStart, until - chunkStart));
      position = until;
    }
    return pieces;
  };
}

/** Parses the body whose lifted runs are `ranges`; each run goes into `scope` and its marker into the text. */
function parseScanned(chunks: readonly Buffer[], ranges: readonly ByteRange[], scope: LiftedScope | undefined) {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  if (total === 0) throw new GatewayError('AGW_INVALID_JSON', 'the request body is empty; send a JSON object');
  if (ranges.length === 0 || scope === undefined) {
    return parseText(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString());
  }
  const cut = chunkCutter(chunks);
  const rest: Buffer[] = [];
  let position = 0;
  for (const range of ranges) {
    rest.push(...cut(position, range.start), Buffer.from(scope.add(cut(range.start, range.end)), 'latin1'));
    position = range.end;
  }
  rest.push(...cut(position, total));
  return parseText(Buffer.concat(rest).toString('utf8'));
}

/**
 * Parses a body already in memory (tests, and bodies handed over whole): the same scan and lift as while
 * reading, in one go. Without a scope nothing is lifted.
 */
export function parseJsonChunks(chunks: readonly Buffer[], scope?: LiftedScope): unknown {
  if (scope === undefined) return parseScanned(chunks, [], undefined);
  const scanner = newScanner();
  for (const chunk of chunks) scanner.push(chunk);
  return parseScanned(chunks, scanner.ranges, scope);
}

/** The request stream as Fastify hands it to a parser (a preParsing hook may have replaced it). */
export interface BodyStream {
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error & { statusCode?: number }) => void): unknown;
  removeListener(event: 'data' | 'end' | 'error', listener: (...values: never[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  /** Set by decompressing preParsing streams: bytes received before decoding. */
  receivedEncodedLength?: number;
}

export interface ReadOptions {
  /** Bytes allowed (the route's body limit). */
  limit: number;
  /** The request's Content-Length, when it sent one. */
  contentLength: number | undefined;
  /** Where long base64 runs are kept; without one the body is parsed whole. */
  scope: LiftedScope | undefined;
}

/**
 * Reads and parses a JSON request body from its stream, scanning each chunk as it arrives. Errors are Fastify's
 * own for the body limit and a wrong Content-Length (mapped into the dialect like any Fastify error) and
 * AGW_INVALID_JSON for an empty or malformed body.
 */
export function readJsonBody(payload: BodyStream, options: ReadOptions): Promise<unknown> {
  const { limit, contentLength } = options;
  if (contentLength !== undefined && contentLength > limit) {
    return Promise.reject(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const scanner = options.scope === undefined ? undefined : newScanner();
    /** Chunks received but not yet scanned (a chunk larger than a slice is scanned over several turns). */
    const backlog: Buffer[] = [];
    let received = 0;
    let ended = false;
    let pumping = false;
    let settled = false;

    const detach = (): void => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
    };
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      detach();
      reject(error);
    };
    const finish = (): void => {
      if (settled) return;
      detach();
      if (contentLength !== undefined && (payload.receivedEncodedLength || received) !== contentLength) {
        fail(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
        return;
      }
      settled = true;
      try {
        resolve(parseScanned(chunks, scanner?.ranges ?? [], options.scope));
      } catch (error) {
        reject(error);
      }
    };
    const pump = (): void => {
      if (settled || scanner === undefined) return;
      let budget = scanSliceBytes;
      while (backlog.length > 0 && budget > 0) {
        const head = backlog[0] as Buffer;
        const taken = Math.min(head.length, budget);
        scanner.push(taken === head.length ? head : head.subarray(0, taken));
        budget -= taken;
        if (taken === head.length) backlog.shift();
        else backlog[0] = head.subarray(taken);
      }
      if (backlog.length > 0) {
        setImmediate(pump);
        return;
      }
      pumping = false;
      if (ended) finish();
      else payload.resume();
    };
    const scan = (chunk: Buffer): void => {
      if (scanner === undefined) return;
      if (!pumping && chunk.length <= scanSliceBytes) {
        scanner.push(chunk);
        return;
      }
      backlog.push(chunk);
      if (pumping) return;
      pumping = true;
      payload.pause();
      setImmediate(pump);
    };

    function onData(data: Buffer | string): void {
      if (settled) return;
      const chunk = typeof data === 'string' ? Buffer.from(data) : data;
      received += chunk.length;
      // The decoded length must stay under the limit too (a compressed body could expand past it).
      if (received > limit || (payload.receivedEncodedLength ?? 0) > limit) {
        fail(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
        return;
      }
      // Node's HTTP parser gives each body chunk a buffer of its own, so keeping it (and slices of it) is safe.
      chunks.push(chunk);
      scan(chunk);
    }
    function onEnd(): void {
      ended = true;
      if (!pumping) finish();
    }
    function onError(error: Error & { statusCode?: number }): void {
      if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400;
      fail(error);
    }
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
    payload.resume();
  });
}
