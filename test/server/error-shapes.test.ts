/**
 * Errors raised before a route runs still leave in the caller's dialect: headers too large (431), a path that is
 * not valid percent-encoding, and the 401 help text, whose `?key=<key>` placeholder the redactor must leave alone.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { scrubText } from '../../src/telemetry/redaction.ts';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';

let harness: Harness;
before(async () => {
  harness = await startHarness();
});
after(() => harness.close());

/** Sends raw bytes and reads the whole answer (the server closes the connection after a parser error). */
function raw(request: string): Promise<string> {
  const url = new URL(harness.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
    socket.on('error', reject);
  });
}

interface Shape {
  type?: string;
  error: { type?: string; code?: string | number; status?: string };
}

function bodyOf(response: string): Shape {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
}

test('431 headers too large, in the dialect of the path', async () => {
  const huge = 'x'.repeat(20_000);
  const cases = [
    ['/v1/messages', (body: Shape) => body.type === 'error' && body.error.type === 'invalid_request_error'],
    ['/v1beta/models/gemini-3-flash:generateContent', (body: Shape) => body.error.code === 431 && body.error.status],
    ['/v1/chat/completions', (body: Shape) => body.error.code === 'AGW_HEADERS_TOO_LARGE' && body.error.type],
  ] as const;
  for (const [path, shaped] of cases) {
    const response = await raw(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${huge}\r\n\r\n`);
    assert.match(response, /^HTTP\/1\.1 431 /, path);
    assert.match(response, /x-agw-error-code: AGW_HEADERS_TOO_LARGE/i);
    assert.ok(shaped(bodyOf(response)), `${path}: ${response.slice(response.indexOf('\r\n\r\n') + 4)}`);
  }
});

test('a path that is not valid percent-encoding is a 400 in the dialect, not a crash or a bypass', async () => {
  const response = await fetch(`${harness.url}/v1beta/models/%E0%A4%A`, { headers: harness.headers });
  assert.equal(response.status, 400);
  const body = (await response.json()) as { error: { status?: string; message: string } };
  assert.equal(body.error.status, 'INVALID_ARGUMENT', 'Gemini shape');
  assert.match(body.error.message, /percent-encoding/);
});

test('the 401 help text keeps its ?key=<key> placeholder; real keys in a query are still redacted', async () => {
  const response = await fetch(`${harness.url}/v1/models`);
  assert.equal(response.status, 401);
  const body = (await response.json()) as { error: { message: string } };
  assert.match(body.error.message, /\?key=<key>/);
  assert.equal(scrubText('see ?key=<key> or &api_key=<api-key>'), 'see ?key=<key> or &api_key=<api-key>');
  assert.doesNotMatch(scrubText('GET /v1beta/models?key=AIzaSyA1b2C3d4E5f6'), /AIzaSyA1b2C3d4E5f6/);
  assert.doesNotMatch(scrubText('?key=<k>AIzaSyA1b2C3d4'), /AIzaSyA1b2C3d4/, 'only a whole placeholder is kept');
});
