/**
 * Serialises a request for Google. JSON.stringify scans every character of a string to escape it, which for a
 * base64 image of many megabytes held the event loop for hundreds of milliseconds per request. Strings that need
 * no escaping (checked once with a regular expression, far cheaper than serialising) are instead left out of the
 * JSON text and their bytes copied into the final buffer around it.
 */
import { randomBytes } from 'node:crypto';

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
    } else if (typeof current === 'object' && current !== null) {
      for (const item of Object.values(current)) {
        if (typeof item === 'string' ? item.length >= copiedStringLength : typeof item === 'object') pending.push(item);
      }
    }
  }
  return false;
}

/**
 * The JSON of `value`: a string, or, when large strings were copied in as bytes, the pieces in order (sent one
 * after the other, so the bytes are copied once, not again into one buffer).
 */
export function serializePayload(value: unknown): string | Buffer[] {
  if (!hasLargeString(value)) return JSON.stringify(value);
  const marker = `agw-copied-${randomBytes(6).toString('hex')}-`;
  const copied: string[] = [];
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== 'string' || item.length < copiedStringLength || !needsNoEscaping.test(item)) return item;
    copied.push(item);
    return `${marker}${copied.length - 1}`;
  });
  if (copied.length === 0) return text;
  const pieces: Buffer[] = [];
  let position = 0;
  for (;;) {
    const found = text.indexOf(marker, position);
    if (found < 0) break;
    let end = found + marker.length;
    while (end < text.length && text.charCodeAt(end) >= 0x30 && text.charCodeAt(end) <= 0x39) end += 1;
    const item = copied[Number(text.slice(found + marker.length, end))];
    pieces.push(Buffer.from(text.slice(position, found), 'utf8'), Buffer.from(item ?? '', 'latin1'));
    position = end;
  }
  pieces.push(Buffer.from(text.slice(position), 'utf8'));
  return pieces;
}
