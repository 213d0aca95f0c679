/**
 * Shared pieces of the reliability suites: one request per protocol (stream or not), reading a response whatever
 * it is (JSON, SSE or neither), the dialect checks of an error body, and the data-directory integrity check.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export type Protocol = 'openai' | 'anthropic' | 'gemini';
export const protocols: readonly Protocol[] = ['openai', 'anthropic', 'gemini'];

export interface ClientCall {
  path: string;
  body: unknown;
}

/** The request a client of `protocol` sends for one short question. */
export function clientCall(protocol: Protocol, text: string, stream: boolean, model = 'gemini-3-flash'): ClientCall {
  switch (protocol) {
    case 'openai':
      return { path: '/v1/chat/completions', body: { model, stream, messages: [{ role: 'user', content: text }] } };
    case 'anthropic':
      return {
        path: '/v1/messages',
        body: { model, stream, max_tokens: 256, messages: [{ role: 'user', content: text }] },
      };
    case 'gemini':
      return {
        path: stream
          ? `/v1beta/models/${model}:streamGenerateContent?alt=sse`
          : `/v1beta/models/${model}:generateContent`,
        body: { contents: [{ role: 'user', parts: [{ text }] }] },
      };
  }
}

export interface ClientResult {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body (non-stream) or undefined. */
  json: unknown;
  /** Parsed `data:` payloads of an SSE body. */
  events: unknown[];
}

/** Sends the call and reads the whole answer; `timeoutMs` bounds the wait so a hang fails the test. */
export async function send(
  baseUrl: string,
  headers: Record<string, string>,
  call: ClientCall,
  timeoutMs = 20_000,
): Promise<ClientResult> {
  const response = await fetch(`${baseUrl}${call.path}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(call.body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const events: unknown[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '' || data === '[DONE]') continue;
    try {
      events.push(JSON.parse(data));
    } catch {
      events.push(data);
    }
  }
  return { status: response.status, headers: response.headers, text, json, events };
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

/** Asserts `body` is an error object of `protocol`'s dialect and returns its message. */
export function assertDialectError(protocol: Protocol, body: unknown): string {
  assert.ok(isObject(body), `an error object, got ${JSON.stringify(body)}`);
  if (protocol === 'openai') {
    const error = body['error'];
    assert.ok(isObject(error), `openai error: ${JSON.stringify(body)}`);
    assert.equal(typeof error['message'], 'string');
    assert.equal(typeof error['type'], 'string');
    return error['message'] as string;
  }
  if (protocol === 'anthropic') {
    assert.equal(body['type'], 'error', `anthropic error: ${JSON.stringify(body)}`);
    const error = body['error'];
    assert.ok(isObject(error));
    assert.equal(typeof error['type'], 'string');
    assert.equal(typeof error['message'], 'string');
    return error['message'] as string;
  }
  const error = body['error'];
  assert.ok(isObject(error), `gemini error: ${JSON.stringify(body)}`);
  assert.equal(typeof error['code'], 'number');
  assert.equal(typeof error['message'], 'string');
  assert.equal(typeof error['status'], 'string');
  return error['message'] as string;
}

/** The answer text of a successful result, whatever the protocol and mode. */
export function answerText(protocol: Protocol, result: ClientResult): string {
  const pieces: string[] = [];
  const collect = (value: unknown): void => {
    if (!isObject(value)) return;
    if (protocol === 'openai') {
      for (const choice of (value['choices'] as unknown[] | undefined) ?? []) {
        if (!isObject(choice)) continue;
        const message = (choice['message'] ?? choice['delta']) as Json | undefined;
        if (typeof message?.['content'] === 'string') pieces.push(message['content']);
      }
    } else if (protocol === 'anthropic') {
      for (const block of (value['content'] as unknown[] | undefined) ?? []) {
        if (isObject(block) && typeof block['text'] === 'string') pieces.push(block['text']);
      }
      const delta = value['delta'];
      if (isObject(delta) && typeof delta['text'] === 'string') pieces.push(delta['text']);
    } else {
      for (const candidate of (value['candidates'] as unknown[] | undefined) ?? []) {
        const content = isObject(candidate) ? candidate['content'] : undefined;
        for (const part of (isObject(content) ? (content['parts'] as unknown[]) : undefined) ?? []) {
          if (isObject(part) && typeof part['text'] === 'string' && part['thought'] !== true) pieces.push(part['text']);
        }
      }
    }
  };
  if (result.events.length > 0) for (const event of result.events) collect(event);
  else collect(result.json);
  return pieces.join('');
}

/** An in-band error event of a committed stream, in the dialect, if there is one. */
export function inBandError(protocol: Protocol, result: ClientResult): unknown {
  return result.events.find((event) => {
    if (!isObject(event)) return false;
    if (protocol === 'anthropic') return event['type'] === 'error';
    return isObject(event['error']);
  });
}

export interface DataDirState {
  files: Map<string, unknown>;
  index: unknown;
}

/** Parses every accounts/*.json and accounts.json; a file that does not parse fails the assertion. */
export async function assertDataDirIntact(dataDir: string): Promise<DataDirState> {
  const files = new Map<string, unknown>();
  const directory = join(dataDir, 'accounts');
  for (const name of await readdir(directory)) {
    if (!name.endsWith('.json')) continue;
    const text = await readFile(join(directory, name), 'utf8');
    assert.doesNotThrow(() => JSON.parse(text), `accounts/${name} is valid JSON`);
    files.set(name, JSON.parse(text));
  }
  const indexText = await readFile(join(dataDir, 'accounts.json'), 'utf8');
  assert.doesNotThrow(() => JSON.parse(indexText), 'accounts.json is valid JSON');
  return { files, index: JSON.parse(indexText) };
}

/** Bounded sleep for polling loops. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
