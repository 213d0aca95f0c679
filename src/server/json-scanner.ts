/**
 * Finds, in a JSON body arriving in chunks, the long base64 runs inside the string values of keys that carry
 * media (`data`, `url`, …), without decoding anything: one pass over the bytes as they arrive, keeping a few bytes
 * of state, so a chunk boundary may fall anywhere (inside a string, an escape, a key). The runs found can then be
 * kept as bytes while only the rest of the body is parsed (json-body.ts).
 *
 * It follows JSON's own string rules (a quote outside a string opens one, a backslash escapes the next character,
 * `\u` the next five), so it agrees with JSON.parse on where every string is; a run never includes part of an
 * escape. It validates nothing else: replacing a run by other plain string characters keeps a malformed body
 * malformed and a valid one valid, so the parser of the rest decides.
 */

/** Absolute byte offsets [start, end) in the body. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface JsonScannerOptions {
  /** Runs at least this many bytes long are reported. */
  minimumRunBytes: number;
  /** Only values of these keys are searched (keys longer than 32 bytes or with escapes never match). */
  keys: ReadonlySet<string>;
}

export interface JsonScanner {
  /** Scans the next bytes of the body. */
  push(chunk: Uint8Array): void;
  /** The runs found so far, in body order. */
  readonly ranges: readonly ByteRange[];
  /** Bytes scanned so far. */
  readonly scannedBytes: number;
}

/** Class 0 (the default) is every other byte. */
const base64 = 1;
const whitespace = 2;

const byteClasses = new Uint8Array(256);
for (const character of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=') {
  byteClasses[character.charCodeAt(0)] = base64;
}
const quoteByte = 0x22;
const backslashByte = 0x5c;
for (const byte of [0x20, 0x09, 0x0a, 0x0d]) byteClasses[byte] = whitespace;

const colon = 0x3a;
const letterU = 0x75;
const keyCaptureBytes = 32;
/** `escaping` state: the byte after a backslash is next. */
const escapeLetterNext = -1;

export function createJsonScanner(options: JsonScannerOptions): JsonScanner {
  const { minimumRunBytes, keys } = options;
  const ranges: ByteRange[] = [];
  const capture = Buffer.alloc(keyCaptureBytes);
  const state = {
    inString: false,
    /** 0, escapeLetterNext, or how many hex digits of a `\u` escape are still to come. */
    escaping: 0,
    /** The last byte outside strings that is not whitespace was a colon: the next string is a value. */
    afterColon: false,
    /** The last string that ended, when it was short and plain (a key, when a colon follows). */
    lastString: undefined as string | undefined,
    /** Bytes of the current string captured so far; -1 once it is too long or has an escape. */
    captured: 0,
    /** The current string is the value of a media key. */
    searching: false,
    /** Where the current base64 run started, -1 outside a run. */
    runStart: -1,
  };

  function push(chunk: Uint8Array): void {
    // Locals in the loop (closure state is slower to reach); written back at the end.
    let { inString, escaping, afterColon, lastString, captured, searching, runStart } = state;
    const offset = scanner.scannedBytes;
    const length = chunk.length;
    /** The next quote and backslash at or after `index` (native searches, each repeated only once passed). */
    let quoteAt = -2;
    let backslashAt = -2;
    const keep = (from: number, to: number): void => {
      if (captured < 0) return;
      if (captured + to - from > keyCaptureBytes) captured = -1;
      else {
        capture.set(chunk.subarray(from, to), captured);
        captured += to - from;
      }
    };
    const endRun = (at: number): void => {
      if (runStart >= 0 && at - runStart >= minimumRunBytes) ranges.push({ start: runStart, end: at });
      runStart = -1;
    };
    let index = 0;
    while (index < length) {
      if (!inString) {
        if (quoteAt !== -1 && quoteAt < index) quoteAt = chunk.indexOf(quoteByte, index);
        const stop = quoteAt === -1 ? length : quoteAt;
        // Only the last byte that is not whitespace matters: is the next string a value (after a colon)?
        let last = stop - 1;
        while (last >= index && byteClasses[chunk[last] as number] === whitespace) last -= 1;
        if (last >= index) afterColon = chunk[last] === colon;
        if (stop === length) break;
        inString = true;
        searching = afterColon && lastString !== undefined && keys.has(lastString);
        afterColon = false;
        captured = 0;
        runStart = -1;
        index = stop + 1;
        continue;
      }
      if (escaping !== 0) {
        escaping = escaping === escapeLetterNext ? (chunk[index] === letterU ? 4 : 0) : escaping - 1;
        index += 1;
        continue;
      }
      let stop: number;
      if (searching) {
        // A media value: its base64 bytes are most of the body, so this loop is kept tight.
        const from = index;
        while (index < length && byteClasses[chunk[index] as number] === base64) index += 1;
        if (index > from) {
          if (runStart < 0) runStart = offset + from;
          keep(from, index);
        }
        if (index === length) break;
        endRun(offset + index);
        stop = index;
        if (chunk[stop] !== quoteByte && chunk[stop] !== backslashByte) {
          keep(stop, stop + 1);
          index = stop + 1;
          continue;
        }
      } else {
        if (quoteAt !== -1 && quoteAt < index) quoteAt = chunk.indexOf(quoteByte, index);
        if (backslashAt !== -1 && backslashAt < index) backslashAt = chunk.indexOf(backslashByte, index);
        stop = length;
        if (quoteAt !== -1) stop = quoteAt;
        if (backslashAt !== -1 && backslashAt < stop) stop = backslashAt;
        keep(index, stop);
        if (stop === length) break;
      }
      if (chunk[stop] === backslashByte) {
        escaping = escapeLetterNext;
        captured = -1;
      } else {
        inString = false;
        lastString = captured >= 0 ? capture.toString('latin1', 0, captured) : undefined;
      }
      index = stop + 1;
    }
    scanner.scannedBytes = offset + length;
    Object.assign(state, { inString, escaping, afterColon, lastString, captured, searching, runStart });
  }

  // A plain property kept up to date by push(), not a getter: an object literal with an accessor, made per body,
  // gets a hidden class of its own and keeps this scope past young-generation GCs (test/source/young-garbage.test.ts).
  const scanner = { push, ranges, scannedBytes: 0 };
  return scanner;
}
