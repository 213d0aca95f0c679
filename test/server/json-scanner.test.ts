/**
 * The streaming scanner finds base64 runs in media values wherever the chunk boundaries fall, and only there:
 * replacing its runs keeps every document's meaning, as JSON.parse sees it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type ByteRange, createJsonScanner } from '../../src/server/json-scanner.ts';

const keys = new Set(['data', 'url']);
const minimumRunBytes = 12;

function scan(chunks: readonly Buffer[]): readonly ByteRange[] {
  const scanner = createJsonScanner({ minimumRunBytes, keys });
  for (const chunk of chunks) scanner.push(chunk);
  return scanner.ranges;
}

function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let previous = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(previous, point));
    previous = point;
  }
  return chunks;
}

/** `bytes` with each range replaced by `~<index>~`, and the way back for strings of the parsed result. */
function replaceRanges(
  bytes: Buffer,
  ranges: readonly ByteRange[],
): { text: string; restore: (value: unknown) => unknown } {
  const parts: Buffer[] = [];
  let position = 0;
  ranges.forEach((range, index) => {
    parts.push(bytes.subarray(position, range.start), Buffer.from(`~${index}~`));
    position = range.end;
  });
  parts.push(bytes.subarray(position));
  const contents = ranges.map((range) => bytes.toString('latin1', range.start, range.end));
  const back = (text: string) => text.replace(/~(\d+)~/g, (_match, index: string) => contents[Number(index)] ?? '');
  const restore = (value: unknown): unknown => {
    if (typeof value === 'string') return back(value);
    if (Array.isArray(value)) return value.map(restore);
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [back(key), restore(item)]));
    }
    return value;
  };
  return { text: Buffer.concat(parts).toString('utf8'), restore };
}

test('a data URL under a media key: only the base64 run after the comma is found', () => {
  const text = JSON.stringify({ image_url: { url: `data:image/png;base64,${'QUJD'.repeat(10)}` }, url: 'ab' });
  const ranges = scan([Buffer.from(text)]);
  assert.equal(ranges.length, 1);
  const range = ranges[0] as ByteRange;
  assert.equal(text.slice(range.start, range.end), 'QUJD'.repeat(10));
});

test('runs in other keys, in keys themselves, in array items and inside escapes are not found', () => {
  const run = 'QUJD'.repeat(10);
  const values = [
    { text: run, signature: run },
    { [run]: 'x', data: ['data', run] },
    { data: `"${run.slice(0, 11)}\n${run.slice(0, 11)}\\${run.slice(0, 11)}` },
    { 'da\\u0074a': run },
  ];
  for (const value of values) {
    assert.deepEqual(scan([Buffer.from(JSON.stringify(value))]), [], JSON.stringify(value).slice(0, 60));
  }
  // `\u` consumes four characters, so a run may start right after them.
  const escaped = `{"data":"\\u0041${run}","url":"\\u${run}"}`;
  const found = scan([Buffer.from(escaped)]).map((range) => escaped.slice(range.start, range.end));
  assert.deepEqual(found, [run, run.slice(4)]);
});

const base64Text = fc
  .array(fc.constantFrom(...'ABCxyz019+/='.split('')), { minLength: 0, maxLength: 30 })
  .map((characters) => characters.join(''));
const anyText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 12, unit: 'grapheme' }),
  fc.constantFrom('"', '\\', '\\u0041', '\n', 'é', 'data', 'url', ':', ',', '{', '}', ''),
);
const mediaValue = fc
  .tuple(anyText, base64Text, anyText, base64Text)
  .map(([before, run, between, run2]) => `${before}${run}${between}${run2}`);
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    anyText,
    mediaValue,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(anyText, fc.constantFrom('data', 'url')), tie('value'), { maxKeys: 4 }),
  ),
})).value;

test('property: at any chunk boundaries the same runs are found, each plain base64, and replacing them keeps the document', () => {
  fc.assert(
    fc.property(jsonValue, fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (value, cuts, pretty) => {
      const bytes = Buffer.from(JSON.stringify(value, null, pretty ? 2 : undefined) ?? 'null');
      const whole = scan([bytes]);
      assert.deepEqual(scan(splitAt(bytes, cuts)), whole);
      for (const range of whole) {
        assert.ok(range.end - range.start >= minimumRunBytes);
        assert.match(bytes.toString('latin1', range.start, range.end), /^[A-Za-z0-9+/=]+$/);
      }
      const { text, restore } = replaceRanges(bytes, whole);
      assert.deepEqual(restore(JSON.parse(text)), JSON.parse(bytes.toString('utf8')));
    }),
    { numRuns: 400 },
  );
});

test('property: a malformed document stays malformed once its runs are replaced', () => {
  const document = fc.record({ data: mediaValue, url: mediaValue, other: anyText });
  fc.assert(
    fc.property(document, fc.nat(), fc.nat(), (value, cutAt, length) => {
      const bytes = Buffer.from(JSON.stringify(value));
      // Cut a piece out of a valid document: usually malformed, sometimes still valid; either way both agree.
      const start = cutAt % bytes.length;
      const damaged = Buffer.concat([bytes.subarray(0, start), bytes.subarray(start + (length % 6) + 1)]);
      const { text } = replaceRanges(damaged, scan([damaged]));
      const parses = (source: string) => {
        try {
          JSON.parse(source);
          return true;
        } catch {
          return false;
        }
      };
      assert.equal(parses(text), parses(damaged.toString('utf8')));
    }),
    { numRuns: 400 },
  );
});
