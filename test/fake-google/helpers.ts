/**
 * Shared helpers for the fake-google tests: a started fake with one account, JSON calls, SSE parsing and a raw
 * socket HTTP/1.1 client that sees the bytes exactly as written.
 */
import { connect } from 'node:net';
import { createFakeGoogle, type FakeGoogle, type FakeGoogleOptions } from './index.ts';

/** Parsed replies are probed field by field in tests; a typed model of every Google body would add nothing. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Loose = any;

export interface Started {
  google: FakeGoogle;
  email: string;
  refreshToken: string;
  accessToken: string;
}

/** A fake with one account (`ada@example.com`) and a valid access token for it. */
export async function startWithAccount(options: FakeGoogleOptions = {}): Promise<Started> {
  const google = await createFakeGoogle(options);
  const email = 'ada@example.com';
  const refreshToken = '1//seed-refresh-ada';
  const handle = google.control.addAccount({ email, name: 'Ada Lovelace', refreshToken });
  return { google, email, refreshToken, accessToken: handle.mintAccessToken() };
}

export interface JsonReply {
  status: number;
  headers: Headers;
  body: Loose;
  text: string;
}

/** POSTs JSON with a bearer, returns status + parsed body (text kept for non-JSON answers). */
export async function postJson(
  url: string,
  body: unknown,
  accessToken?: string,
  extraHeaders: Record<string, string> = {},
): Promise<JsonReply> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extraHeaders };
  if (accessToken !== undefined) headers['authorization'] = `Bearer ${accessToken}`;
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** POSTs a form to the token endpoint with the fake's client credentials unless overridden. */
export async function tokenRequest(google: FakeGoogle, fields: Record<string, string>): Promise<JsonReply> {
  const form = new URLSearchParams({
    client_id: google.client.clientId,
    client_secret: google.client.clientSecret,
    ...fields,
  });
  const response = await fetch(google.urls.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text), text };
}

/** The User-Agent agw sends today (its configured client version 4.3.0). */
export const agwUserAgent = 'Antigravity/4.3.0 (X11; Linux x86_64) Chrome/132.0.6834.160 Electron/39.2.3';

/** A minimal generate envelope. */
export function envelope(model: string, text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    project: 'fake-project',
    requestId: 'agent/antigravity/sid-test/1',
    request: { contents: [{ role: 'user', parts: [{ text }] }], ...extra },
    model,
    userAgent: 'antigravity',
    requestType: 'agent',
  };
}

/** A generate envelope in the image request form (`requestType: "image_gen"`, CLIProxyAPI's requestId form). */
export function imageEnvelope(
  model: string,
  text: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    ...envelope(model, text, extra),
    requestType: 'image_gen',
    requestId: 'image_gen/1767225600123/9f86d081-884c-4d63-9ab1-2c3a4b5c6d7e/12',
  };
}

/** Splits an SSE body into the JSON documents of its `data:` frames; throws on framing other than `data: …` + blank line. */
export function parseSseFrames(body: string, lineEnding = '\r\n'): Loose[] {
  const separator = lineEnding + lineEnding;
  if (body === '') return [];
  if (!body.endsWith(separator)) throw new Error('stream does not end with a blank line');
  return body
    .slice(0, -separator.length)
    .split(separator)
    .map((frame) => {
      if (!frame.startsWith('data: ') || frame.includes(lineEnding))
        throw new Error(`bad frame: ${JSON.stringify(frame)}`);
      return JSON.parse(frame.slice(6));
    });
}

/** Concatenated non-thought text of a list of wrapped chunks. */
export function answerText(chunks: Loose[]): string {
  return chunks
    .flatMap((chunk) => chunk.response.candidates[0].content.parts)
    .filter((part: Loose) => typeof part.text === 'string' && part.thought !== true)
    .map((part: Loose) => part.text)
    .join('');
}

export interface RawResponse {
  statusLine: string;
  headers: Record<string, string>;
  /** The de-chunked body. */
  body: Buffer;
  /** How many separate socket reads delivered the response. */
  reads: number;
  /** How the connection ended: `end` (clean), `error` (e.g. ECONNRESET) or `timeout` (our bound). */
  ending: 'end' | 'error' | 'timeout';
  errorCode?: string;
}

/**
 * Sends one HTTP/1.1 request over a raw TCP socket (Connection: close) and reassembles the response itself,
 * decoding chunked transfer encoding, so tests see exactly what went over the wire.
 */
export function rawRequest(
  port: number,
  path: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs = 5000,
): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let reads = 0;
    let settled = false;
    const finish = (ending: RawResponse['ending'], errorCode?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const all = Buffer.concat(received);
      const headerEnd = all.indexOf('\r\n\r\n');
      const head = headerEnd < 0 ? all.toString('latin1') : all.subarray(0, headerEnd).toString('latin1');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const parsedHeaders: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        if (colon > 0) parsedHeaders[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const rawBody = headerEnd < 0 ? Buffer.alloc(0) : all.subarray(headerEnd + 4);
      const decoded = parsedHeaders['transfer-encoding'] === 'chunked' ? dechunk(rawBody) : rawBody;
      const result: RawResponse = { statusLine, headers: parsedHeaders, body: decoded, reads, ending };
      if (errorCode !== undefined) result.errorCode = errorCode;
      resolve(result);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('data', (chunk) => {
      reads++;
      received.push(chunk);
      // A chunked body is complete at the zero-length chunk; with Connection: close the server also ends.
      if (Buffer.concat(received).includes('\r\n0\r\n\r\n')) finish('end');
    });
    socket.on('end', () => finish('end'));
    socket.on('error', (error: NodeJS.ErrnoException) => finish('error', error.code));
    const payload = Buffer.from(body, 'utf8');
    const headerText = Object.entries({
      host: `127.0.0.1:${port}`,
      connection: 'close',
      'content-type': 'application/json',
      'content-length': String(payload.length),
      ...headers,
    })
      .map(([key, value]) => `${key}: ${value}\r\n`)
      .join('');
    socket.write(`POST ${path} HTTP/1.1\r\n${headerText}\r\n`);
    socket.write(payload);
  });
}

/** Decodes an HTTP/1.1 chunked body; a truncated body yields what arrived completely. */
export function dechunk(raw: Buffer): Buffer {
  const pieces: Buffer[] = [];
  let offset = 0;
  for (let guard = 0; guard < 100_000 && offset < raw.length; guard++) {
    const lineEnd = raw.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(raw.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    const start = lineEnd + 2;
    if (start + size > raw.length) {
      pieces.push(raw.subarray(start));
      break;
    }
    pieces.push(raw.subarray(start, start + size));
    offset = start + size + 2;
  }
  return Buffer.concat(pieces);
}

export function portOf(google: FakeGoogle): number {
  return Number(new URL(google.urls.base).port);
}
