/**
 * The JSON body parser lifts long escape-free ASCII strings out before parsing: the result must equal what
 * JSON.parse gives for every input, and malformed or poisoned bodies must still be refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { GatewayError } from '../../src/errors/catalogue.ts';
import { liftedStringBytes, parseJsonBody } from '../../src/server/json-body.ts';
import { copiedStringLength, serializePayload } from '../../src/upstream/json-payload.ts';

const big = (character: string, extra = 0) => character.repeat(liftedStringBytes + extra);
const asBuffer = (payload: string | Buffer[]) =>
  Array.isArray(payload) ? Buffer.concat(payload) : Buffer.from(payload);

test('large bodies parse exactly as JSON.parse would', () => {
  const values = [
    { image: `data:image/png;base64,${big('A')}`, text: 'hé "quoted" \\ \n' },
    [big('B'), big('C', 3), 'small', { nested: [big('D')] }],
    { [big('k')]: 'a key this long is lifted too', other: 1 },
    { escaped: `${big('E')}\\"still one string`, unicode: `${big('F')}é` },
    { padding: 'x'.repeat(300_000), numbers: [1, 2.5, -3e5], flags: [true, false, null] },
  ];
  for (const value of values) {
    const text = JSON.stringify(value);
    assert.deepEqual(parseJsonBody(Buffer.from(text)), JSON.parse(text));
  }
});

test('property: any JSON value with long strings round-trips', () => {
  const longString = fc.oneof(
    fc.string({ minLength: 0, maxLength: 20 }),
    fc.constantFrom('A', 'b', '+/=', 'é', '"', '\\').map((piece) => piece.repeat(liftedStringBytes / piece.length + 1)),
  );
  const jsonValue = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      longString,
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(longString, tie('value'), { maxKeys: 3 }),
    ),
  })).value;
  fc.assert(
    fc.property(jsonValue, fc.integer({ min: 0, max: 300_000 }), (value, padding) => {
      const text = JSON.stringify({ value, padding: ' '.repeat(padding) });
      assert.deepEqual(parseJsonBody(Buffer.from(text)), JSON.parse(text));
      assert.equal(asBuffer(serializePayload(JSON.parse(text))).toString('utf8'), text);
    }),
    { numRuns: 60 },
  );
});

test('malformed, empty and prototype-poisoning bodies are refused with AGW_INVALID_JSON', () => {
  const refused = [
    '',
    `{"a": "${big('A')}`,
    `{"a": "${big('A')}" "b": 1}`,
    `{"__proto__": {"admin": true}, "pad": "${big('A')}"}`,
    `{"constructor": {"prototype": {"admin": true}}, "pad": "${big('A')}"}`,
    '{"a": 1',
  ];
  for (const text of refused) {
    assert.throws(
      () => parseJsonBody(Buffer.from(text)),
      (error: unknown) => GatewayError.is(error) && error.code === 'AGW_INVALID_JSON',
      text.slice(0, 40),
    );
  }
});

test('the upstream payload copies long safe strings as bytes and serialises the rest as JSON.stringify does', () => {
  const image = 'Q'.repeat(copiedStringLength * 2);
  const value = { request: { parts: [{ text: 'a "b"' }, { inlineData: { mimeType: 'image/png', data: image } }] } };
  const payload = serializePayload(value);
  assert.ok(Array.isArray(payload), 'a large safe string is copied in pieces');
  assert.equal(asBuffer(payload).toString(), JSON.stringify(value));
  const unsafe = { text: `${'x'.repeat(copiedStringLength)}"quote` };
  assert.equal(asBuffer(serializePayload(unsafe)).toString(), JSON.stringify(unsafe));
  assert.equal(serializePayload({ small: 'value' }), JSON.stringify({ small: 'value' }), 'small payloads stay strings');
});
