import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { truncateUtf8 } from '../../src/store/truncate.ts';

test('a reason that fits is unchanged, byte-exact at the limit', () => {
  assert.equal(truncateUtf8('a'.repeat(800), 800), 'a'.repeat(800));
  assert.equal(truncateUtf8('é'.repeat(400), 800), 'é'.repeat(400));
  assert.equal(truncateUtf8('a'.repeat(801), 800), `${'a'.repeat(797)}...`);
});

test('multi-byte characters are never split', () => {
  // 4-byte emoji: 797 / 4 = 199 whole characters fit before the ellipsis.
  assert.equal(truncateUtf8('😀'.repeat(300), 800), `${'😀'.repeat(199)}...`);
  assert.equal(truncateUtf8(`ab${'€'.repeat(300)}`, 10), 'ab€...');
});

test('property: result is valid UTF-8, at most max bytes, a prefix of the input plus "..." when cut', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.integer({ min: 3, max: 900 }), (text, max) => {
      const result = truncateUtf8(text, max);
      if (Buffer.byteLength(text) <= max) return result === text;
      const kept = result.slice(0, -3);
      return (
        result.endsWith('...') &&
        Buffer.byteLength(result) <= max &&
        text.startsWith(kept) &&
        Buffer.from(result, 'utf8').toString('utf8') === result &&
        // Nothing more would have fitted: the next character overflows the budget.
        Buffer.byteLength(kept) + Buffer.byteLength([...text.slice(kept.length)][0] ?? '') > max - 3
      );
    }),
  );
});
