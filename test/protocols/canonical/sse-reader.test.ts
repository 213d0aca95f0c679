import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseJsonData, parseSse, type SseFrame } from '../../../src/upstream/sse-reader.ts';

async function collect(chunks: Array<string | Uint8Array>): Promise<SseFrame[]> {
  const frames: SseFrame[] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const frame of parseSse(source())) frames.push(frame);
  return frames;
}

describe('parseSse', () => {
  test('reads LF, CRLF and CR separated frames alike', async () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const frames = await collect([`data: one${eol}${eol}event: named${eol}data: two${eol}${eol}`]);
      assert.deepEqual(frames, [{ data: 'one' }, { event: 'named', data: 'two' }], JSON.stringify(eol));
    }
  });

  test('joins multi-line data fields and drops comments', async () => {
    const frames = await collect([': ping\n\ndata: a\ndata: b\n\n']);
    assert.deepEqual(frames, [{ data: 'a\nb' }]);
  });

  test('flushes a final frame that has no trailing blank line', async () => {
    assert.deepEqual(await collect(['data: first\n\ndata: last']), [{ data: 'first' }, { data: 'last' }]);
    assert.deepEqual(await collect(['data: last\r\n']), [{ data: 'last' }]);
    assert.deepEqual(await collect(['data: last\r']), [{ data: 'last' }]);
  });

  test('decodes a multi-byte character split across chunks', async () => {
    const bytes = new TextEncoder().encode('data: 👋é\n\n');
    const frames = await collect([bytes.slice(0, 8), bytes.slice(8, 11), bytes.slice(11)]);
    assert.deepEqual(frames, [{ data: '👋é' }]);
  });

  test('a CRLF split between chunks is one line end', async () => {
    assert.deepEqual(await collect(['data: x\r', '\n\r', '\ndata: y\r\n\r\n']), [{ data: 'x' }, { data: 'y' }]);
  });

  test('an empty stream yields nothing', async () => {
    assert.deepEqual(await collect([]), []);
  });
});

describe('parseJsonData', () => {
  test('skips [DONE] and empty data, parses JSON, throws on garbage', () => {
    assert.equal(parseJsonData({ data: '[DONE]' }), undefined);
    assert.equal(parseJsonData({ data: '  ' }), undefined);
    assert.deepEqual(parseJsonData({ data: '{"a":1}' }), { a: 1 });
    assert.throws(() => parseJsonData({ data: 'not json' }), SyntaxError);
  });
});
