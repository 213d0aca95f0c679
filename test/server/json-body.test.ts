/**
 * The JSON body parser keeps long base64 runs of media values as the received bytes: the result, once markers
 * are made strings again, must equal what JSON.parse gives for every input split at any chunk boundaries, the
 * upstream payload must carry exactly the JSON of the value, and malformed, poisoned or oversized bodies must
 * still be refused as before.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import { GatewayError } from '../../src/errors/catalogue.ts';
import { liftedRunBytes, parseJsonChunks, readJsonBody } from '../../src/server/json-body.ts';
import { copiedStringLength, pacedPieces, serializePayload } from '../../src/upstream/json-payload.ts';
import { materializeLifted, openLiftedScope, openLiftedScopes } from '../../src/upstream/lifted-bytes.ts';

const image = (character = 'A', extra = 0) => character.repeat(liftedRunBytes + extra);
const asBuffer = (payload: string | Buffer[]) =>
  Array.isArray(payload) ? Buffer.concat(payload) : Buffer.from(payload);

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

function read(chunks: readonly Buffer[], limit = 64 * 1024 * 1024, contentLength?: number) {
  const scope = openLiftedScope();
  const stream = Readable.from(chunks, { objectMode: false });
  return { scope, parsed: readJsonBody(stream, { limit, contentLength, scope }) };
}

test('a media value keeps its base64 run as bytes; everything else parses as JSON.parse would', () => {
  const value = {
    messages: [{ content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${image('Q')}` } }] }],
    text: 'hé "quoted" \\ \n',
    signature: image('S'),
  };
  const scope = openLiftedScope();
  const parsed = parseJsonChunks([Buffer.from(JSON.stringify(value))], scope) as typeof value;
  const url = parsed.messages[0]?.content[0]?.image_url.url ?? '';
  assert.ok(url.startsWith('data:image/png;base64,') && url.length < 100, 'the image is a marker');
  assert.equal(parsed.signature, value.signature, 'a long string of another key stays a string');
  assert.deepEqual(materializeLifted(parsed), value);
  assert.equal(asBuffer(serializePayload(parsed)).toString(), JSON.stringify(value), 'upstream gets the bytes');
  scope.release();
  assert.throws(
    () => serializePayload(parsed),
    (error: unknown) => GatewayError.is(error) && error.code === 'AGW_INTERNAL',
    'a released marker is never sent as text',
  );
});

test('the image goes upstream as slices of the received chunks, never copied', () => {
  const body = Buffer.from(JSON.stringify({ inlineData: { mimeType: 'image/png', data: image('B', 5) } }));
  const chunks = splitAt(body, [1000, 70_000, 100_000]);
  const scope = openLiftedScope();
  const pieces = serializePayload(parseJsonChunks(chunks, scope));
  assert.ok(Array.isArray(pieces));
  const shared = pieces.filter((piece) => chunks.some((chunk) => chunk.buffer === piece.buffer));
  assert.equal(
    shared.reduce((sum, piece) => sum + piece.length, 0),
    liftedRunBytes + 5,
  );
  assert.equal(Buffer.concat(pieces).toString(), body.toString());
  scope.release();
});

const mediaKey = fc.constantFrom('data', 'url', 'image_url', 'file_data', 'image');
const longBase64 = fc
  .tuple(fc.constantFrom('', 'data:image/png;base64,', 'x"\\'), fc.constantFrom('A', 'b+', '/9=', '0'), fc.nat(3000))
  .map(([prefix, piece, extra]) => `${prefix}${piece.repeat(Math.ceil((liftedRunBytes + extra) / piece.length))}`);
const text = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('é', '"', '\\', '\n', 'data', 'url'));
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    text,
    longBase64,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(text, mediaKey), tie('value'), { maxKeys: 3 }),
    fc.record({ key: mediaKey, value: longBase64 }).map(({ key, value }) => ({ [key]: value })),
  ),
})).value;

test('property: at any chunk boundaries the parsed body equals JSON.parse and the upstream bytes equal JSON.stringify', async () => {
  await fc.assert(
    fc.asyncProperty(jsonValue, fc.array(fc.nat(), { maxLength: 8 }), async (value, cuts) => {
      const source = JSON.stringify({ value, padding: ' '.repeat(300) });
      const bytes = Buffer.from(source);
      const { scope, parsed } = read(splitAt(bytes, cuts));
      const result = await parsed;
      assert.deepEqual(materializeLifted(result), JSON.parse(source));
      assert.equal(asBuffer(serializePayload(result)).toString('utf8'), JSON.stringify(JSON.parse(source)));
      scope.release();
    }),
    { numRuns: 60 },
  );
});

test('malformed, empty and prototype-poisoning bodies are refused with AGW_INVALID_JSON', async () => {
  const refused = [
    '',
    `{"data": "${image('A')}`,
    `{"data": "${image('A')}" "b": 1}`,
    `{"data": "${image('A')}"]`,
    `{"__proto__": {"admin": true}, "data": "${image('A')}"}`,
    `{"constructor": {"prototype": {"admin": true}}, "url": "${image('A')}"}`,
    '{"a": 1',
  ];
  for (const body of refused) {
    const { scope, parsed } = read(splitAt(Buffer.from(body), [7, 70_000]));
    await assert.rejects(
      parsed,
      (error: unknown) => GatewayError.is(error) && error.code === 'AGW_INVALID_JSON',
      body.slice(0, 40),
    );
    scope.release();
  }
});

test('the body limit and a wrong Content-Length are refused as Fastify refuses them', async () => {
  const body = Buffer.from(JSON.stringify({ data: image('A') }));
  await assert.rejects(read([body], body.length - 1).parsed, { code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
  await assert.rejects(read([body], body.length, body.length + 1).parsed, { code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
  await assert.rejects(read(splitAt(body, [5000]), body.length - 1).parsed, { code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
  await assert.rejects(read([body], body.length + 10, body.length + 1).parsed, {
    code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
  });
});

test('a chunk larger than a scan slice is scanned over several turns: other work runs before it is parsed', async () => {
  const value = { data: image('C', 3 * 1024 * 1024) };
  const { scope, parsed } = read([Buffer.from(JSON.stringify(value))]);
  const order: string[] = [];
  setImmediate(() => order.push('other work'));
  const result = await parsed.then((body) => {
    order.push('parsed');
    return body;
  });
  assert.deepEqual(order, ['other work', 'parsed']);
  assert.deepEqual(materializeLifted(result), value);
  scope.release();
});

test('the upstream payload copies long safe strings as bytes and serialises the rest as JSON.stringify does', () => {
  const before = openLiftedScopes();
  const long = 'Q'.repeat(copiedStringLength * 2);
  const value = { request: { parts: [{ text: 'a "b"' }, { inlineData: { mimeType: 'image/png', data: long } }] } };
  const payload = serializePayload(value);
  assert.ok(Array.isArray(payload), 'a large safe string is copied in pieces');
  assert.equal(asBuffer(payload).toString(), JSON.stringify(value));
  const unsafe = { text: `${'x'.repeat(copiedStringLength)}"quote` };
  assert.equal(asBuffer(serializePayload(unsafe)).toString(), JSON.stringify(unsafe));
  assert.equal(serializePayload({ small: 'value' }), JSON.stringify({ small: 'value' }), 'small payloads stay strings');
  assert.equal(openLiftedScopes(), before, 'the serialiser keeps no scope open');
});

test('the upstream pieces are streamed with a turn of the event loop after each MiB', async () => {
  const pieces = Array.from({ length: 3 }, (_, index) => Buffer.alloc(1024 * 1024, index));
  const order: string[] = [];
  const stream = pacedPieces(pieces);
  setImmediate(() => order.push('other work'));
  for await (const chunk of stream) order.push(`piece ${(chunk as Buffer)[0]}`);
  assert.deepEqual(order, ['piece 0', 'other work', 'piece 1', 'piece 2']);
});
