/**
 * String contents kept as bytes. A base64 image of many megabytes is never turned into a JS string: the body
 * parser (src/server/json-body.ts) replaces it by a short marker and keeps its bytes as slices of the received
 * chunks here; the translators pass the marker along like any string; the upstream payload
 * (json-payload.ts) sends the slices in the marker's place. Each copy of a 30 MB image into or out of a string
 * held the event loop for over 100 ms, so avoiding them is what keeps other requests answering.
 *
 * Markers carry 128 random bits, so a client cannot name another request's bytes. A scope lives as long as the
 * request that opened it (released when its response closes); a marker that outlives it is an error, never
 * silently sent as text.
 */
import { randomBytes } from 'node:crypto';
import { GatewayError } from '../errors/catalogue.ts';

const markerPrefix = 'agwLifted';
const nonceLength = 32;
const indexLength = 6;
/** Every marker: prefix, scope nonce (hex), entry index (decimal, fixed width). */
const markerPattern = new RegExp(`${markerPrefix}([0-9a-f]{${nonceLength}})([0-9]{${indexLength}})`, 'g');

const scopes = new Map<string, Buffer[][]>();

export interface LiftedScope {
  /** Keeps `pieces` (the string's bytes, in order) and returns the marker that stands for them. */
  add(pieces: Buffer[]): string;
  /** Forgets every entry; markers of this scope can no longer be expanded. */
  release(): void;
}

export function openLiftedScope(): LiftedScope {
  const nonce = randomBytes(nonceLength / 2).toString('hex');
  const entries: Buffer[][] = [];
  scopes.set(nonce, entries);
  return {
    add(pieces) {
      entries.push(pieces);
      return `${markerPrefix}${nonce}${String(entries.length - 1).padStart(indexLength, '0')}`;
    },
    release() {
      scopes.delete(nonce);
    },
  };
}

/** Scopes not yet released (tests check that requests release theirs). */
export function openLiftedScopes(): number {
  return scopes.size;
}

export function holdsMarker(text: string): boolean {
  return text.includes(markerPrefix);
}

function piecesOf(nonce: string, index: string): Buffer[] {
  const pieces = scopes.get(nonce)?.[Number(index)];
  if (pieces === undefined) {
    throw new GatewayError('AGW_INTERNAL', 'a large string of the request body was used after its request ended');
  }
  return pieces;
}

/**
 * The bytes of `text` (UTF-8) with each marker replaced by the bytes it stands for, as pieces to send one after
 * the other; `text` itself when it holds no marker.
 */
export function expandMarkers(text: string): string | Buffer[] {
  if (!holdsMarker(text)) return text;
  const pieces: Buffer[] = [];
  let position = 0;
  for (const match of text.matchAll(markerPattern)) {
    pieces.push(Buffer.from(text.slice(position, match.index), 'utf8'), ...piecesOf(match[1]!, match[2]!));
    position = match.index + match[0].length;
  }
  if (position === 0) return text;
  pieces.push(Buffer.from(text.slice(position), 'utf8'));
  return pieces;
}

function expandString(text: string): string {
  if (!holdsMarker(text)) return text;
  // Lifted bytes are base64 (ASCII), so latin1 decoding is exact; concatenation keeps each piece's copy separate.
  return text.replace(markerPattern, (_match, nonce: string, index: string) => {
    let content = '';
    for (const piece of piecesOf(nonce, index)) content += piece.toString('latin1');
    return content;
  });
}

/**
 * `value` with every marker (in strings and keys) replaced by the real string, for the few places that keep or
 * return a request's content after its request (the Responses store, compaction's echo, token counting). Costs
 * the copies the markers avoided; returns new containers, leaves `value` as it is.
 */
export function materializeLifted<T>(value: T): T {
  if (typeof value === 'string') return expandString(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => materializeLifted(item)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // defineProperty: a key named __proto__ stays a key.
    Object.defineProperty(copy, expandString(key), {
      value: materializeLifted(item),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy as T;
}
