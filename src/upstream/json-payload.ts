/**
 * Serialises a request for Google. Base64 images of the client's body are markers here (lifted-bytes.ts): the
 * JSON text is small and each marker is replaced by the image's received bytes, sent as they are.
 *
 * Long strings that are real strings (an image uploaded as a multipart file, encoded by agw) would make
 * JSON.stringify scan every character to escape it; those that need no escaping (checked once with a regular
 * expression, far cheaper than serialising) are left out of the JSON text the same way and their bytes copied in.
 */
import { Readable } from 'node:stream';
import { expandMarkers, openLiftedScope } from './lifted-bytes.ts';

/** Strings at least this long are copied as bytes instead of serialised. */
export const copiedStringLength = 64 * 1024;

/** Printable ASCII without `"` and `\`: such a string's JSON form is itself between quotes. */
const needsNoEscaping = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function hasLargeString(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const current = pending.pop();
    if (typeof current === 'string') {
      if (current.length >= copiedStringLength) return true;
    } else if (Array.isArray(current)) {
      for (const item of current) {
        if (typeof item === 'string' ? item.length >= copiedStringLength : typeof item === 'object') pending.push(item);
      }
    } else if (typeof current === 'object' && current !== null) {
      // for...in, not Object.values: this runs on every request, and allocating an array per object made it
      // several times slower. An inherited key could only add a needless check, never skip a string.
      const record = current as Record<string, unknown>;
      for (const key in record) {
        const item = record[key];
        if (typeof item === 'string' ? item.length >= copiedStringLength : typeof item === 'object') pending.push(item);
      }
    }
  }
  return false;
}

/**
 * The JSON of `value`: a string, or, when it holds images kept as bytes or large strings copied in as bytes, the
 * pieces in order (sent one after the other, so no image is copied into one buffer).
 */
export function serializePayload(value: unknown): string | Buffer[] {
  if (!hasLargeString(value)) return expandMarkers(JSON.stringify(value));
  const copied = openLiftedScope();
  try {
    const text = JSON.stringify(value, (_key, item: unknown) => {
      if (typeof item !== 'string' || item.length < copiedStringLength || !needsNoEscaping.test(item)) return item;
      return copied.add([Buffer.from(item, 'latin1')]);
    });
    return expandMarkers(text);
  } finally {
    // The pieces hold the bytes; the scope was only needed to find them by marker.
    copied.release();
  }
}

/** Bytes written to the upstream socket in one turn of the event loop. */
const bytesPerTurn = 1024 * 1024;

/**
 * The pieces of a payload as a stream that lets the event loop turn after each MiB. On loopback (and any socket
 * whose kernel buffer takes the bytes at once) each write completes at once and the next one follows in the same
 * turn, so a 30 MB body was written in one step of ~100 ms while health checks waited.
 */
export function pacedPieces(pieces: readonly Buffer[]): Readable {
  return Readable.from(paced(pieces), { objectMode: false });
}

/** At module level, not inside pacedPieces: why in src/upstream/transport.ts (body generators). */
async function* paced(pieces: readonly Buffer[]): AsyncGenerator<Buffer> {
  let sinceTurn = 0;
  for (const piece of pieces) {
    if (sinceTurn >= bytesPerTurn) {
      sinceTurn = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
    sinceTurn += piece.length;
    yield piece;
  }
}
