/**
 * The JSON body parser. Image prompts arrive as base64 strings of many megabytes, and decoding such a body
 * (UTF-8 to a JS string, then JSON.parse scanning every character) blocked the event loop for seconds: every
 * other request, health checks included, waited.
 *
 * Large bodies are parsed in two steps instead. Long string values without escapes (base64, in practice) are
 * lifted out of the raw bytes with native searches, the remaining small text goes through the usual parser, and
 * each placeholder is then replaced by a one-byte string copied straight from the bytes. The main thread never
 * runs a per-character loop over the payload, so a maximal body costs a few memory copies.
 */
import { isAscii } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import secureJsonParse from 'secure-json-parse';
import { GatewayError } from '../errors/catalogue.ts';

/** String values at least this long (bytes) are lifted; shorter ones are cheaper to parse in place. */
export const liftedStringBytes = 64 * 1024;
/** Bodies below this size are parsed directly: they cannot block for long. */
const directParseBytes = 256 * 1024;

const quote = 0x22;
const backslash = 0x5c;
// Fastify's own defaults: a body that tries to set __proto__ or constructor.prototype is refused.
const parseOptions = { protoAction: 'error', constructorAction: 'error' } as const;

interface Lifted {
  text: string;
  marker: string;
  /** Byte ranges [start, end) of the lifted strings' contents, by placeholder index. */
  ranges: Array<[number, number]>;
}

/** The end quote of the string opening at `open`, skipping escaped quotes; -1 when the string never ends. */
function closingQuote(body: Buffer, open: number): number {
  let close = open;
  for (;;) {
    close = body.indexOf(quote, close + 1);
    if (close < 0) return -1;
    let backslashes = 0;
    for (let index = close - 1; index > open && body[index] === backslash; index -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return close;
  }
}

function liftLargeStrings(body: Buffer): Lifted {
  const marker = `agw-lifted-${randomBytes(6).toString('hex')}-`;
  const pieces: Buffer[] = [];
  const ranges: Array<[number, number]> = [];
  let copiedUpTo = 0;
  let position = 0;
  for (;;) {
    const open = body.indexOf(quote, position);
    if (open < 0) break;
    const close = closingQuote(body, open);
    if (close < 0) break; // malformed: the parser below reports it
    const content = body.subarray(open + 1, close);
    // Only plain ASCII without escapes is lifted: its bytes ARE its characters, so copying them is decoding them.
    if (content.length >= liftedStringBytes && content.indexOf(backslash) < 0 && isAscii(content)) {
      pieces.push(body.subarray(copiedUpTo, open + 1), Buffer.from(`${marker}${ranges.length}`));
      ranges.push([open + 1, close]);
      copiedUpTo = close;
    }
    position = close + 1;
  }
  if (ranges.length === 0) return { text: body.toString('utf8'), marker, ranges };
  pieces.push(body.subarray(copiedUpTo));
  return { text: Buffer.concat(pieces).toString('utf8'), marker, ranges };
}

/** Puts the lifted strings back in place of their placeholders (as values or as keys). */
function restore(value: unknown, body: Buffer, lifted: Lifted): unknown {
  const original = (text: string): string | undefined => {
    if (!text.startsWith(lifted.marker)) return undefined;
    const range = lifted.ranges[Number(text.slice(lifted.marker.length))];
    return range ? body.toString('latin1', range[0], range[1]) : undefined;
  };
  if (typeof value === 'string') return original(value) ?? value;
  const pending: Array<Record<string, unknown> | unknown[]> = [];
  if (typeof value === 'object' && value !== null) pending.push(value as Record<string, unknown>);
  while (pending.length > 0) {
    const container = pending.pop() as Record<string, unknown> | unknown[];
    if (Array.isArray(container)) {
      for (let index = 0; index < container.length; index += 1) {
        const item = container[index];
        if (typeof item === 'string') container[index] = original(item) ?? item;
        else if (typeof item === 'object' && item !== null) pending.push(item as Record<string, unknown>);
      }
      continue;
    }
    for (const key of Object.keys(container)) {
      const item = container[key];
      const restoredKey = original(key);
      if (restoredKey !== undefined) {
        delete container[key];
        container[restoredKey] = item;
      }
      const target = restoredKey ?? key;
      if (typeof item === 'string') container[target] = original(item) ?? item;
      else if (typeof item === 'object' && item !== null) pending.push(item as Record<string, unknown>);
    }
  }
  return value;
}

function parseText(text: string): unknown {
  try {
    return secureJsonParse.parse(text, undefined, parseOptions);
  } catch (error) {
    throw new GatewayError('AGW_INVALID_JSON', `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Parses a JSON request body; throws AGW_INVALID_JSON for an empty or malformed one. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new GatewayError('AGW_INVALID_JSON', 'the request body is empty; send a JSON object');
  if (body.length < directParseBytes) return parseText(body.toString('utf8'));
  const lifted = liftLargeStrings(body);
  const parsed = parseText(lifted.text);
  return lifted.ranges.length === 0 ? parsed : restore(parsed, body, lifted);
}
