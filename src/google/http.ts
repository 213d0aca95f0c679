/**
 * The HTTP plumbing of the Google auth calls (token endpoint, userinfo): a keep-alive undici Agent owned by whoever
 * builds the clients (src/google/clients.ts; the reference built a new client per call, weakness 7), a per-call
 * time budget, the caller's AbortSignal, and NO retries — the pool's rotation loop is the only retry loop.
 */
import { Agent, type Dispatcher, request } from 'undici';
import { callDeadline } from '../upstream/call-deadline.ts';
import { errorCodeOf } from '../upstream/error-code.ts';

/** An Agent for the auth calls; its creator closes it. */
export function createGoogleAgent(): Agent {
  return new Agent({ keepAliveTimeout: 30_000, connections: 16, allowH2: false });
}

export interface HttpCallOptions {
  /** Whole-call budget, milliseconds. */
  timeoutMs: number;
  userAgent: string;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  dispatcher: Dispatcher;
  /**
   * Turns a failure without an answer into a more precise error before the generic one (a dead outbound proxy
   * becomes AGW_ACCOUNT_PROXY_FAILED); undefined keeps the generic TransportError.
   */
  explainFailure?: ((error: unknown) => Error | undefined) | undefined;
}

export interface HttpResult {
  status: number;
  text: string;
}

/**
 * Why a call produced no HTTP status. The message names only the failure kind and the host — never a body,
 * header or query — so it is safe to put into errors.
 */
export class TransportError extends Error {
  readonly kind: 'timeout' | 'network' | 'aborted';
  constructor(kind: 'timeout' | 'network' | 'aborted', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
    this.kind = kind;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}

async function send(
  url: string,
  method: 'GET' | 'POST',
  body: string | undefined,
  options: HttpCallOptions,
): Promise<HttpResult> {
  const deadline = callDeadline(options.signal, options.timeoutMs);
  const signal = deadline.signal;
  try {
    const response = await request(url, {
      method,
      headers: { 'user-agent': options.userAgent, ...options.headers },
      body: body ?? null,
      signal,
      dispatcher: options.dispatcher,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    return { status: response.statusCode, text: await response.body.text() };
  } catch (error) {
    const host = hostOf(url);
    if (options.signal?.aborted) throw new TransportError('aborted', `The call to ${host} was cancelled`);
    const explained = options.explainFailure?.(error);
    if (explained !== undefined) throw explained;
    const code = errorCodeOf(error);
    if (deadline.timedOut || code?.includes('TIMEOUT')) {
      throw new TransportError('timeout', `No answer from ${host} within ${options.timeoutMs} ms`);
    }
    throw new TransportError('network', `Could not reach ${host} (${code ?? 'network error'})`, { cause: error });
  } finally {
    deadline.release();
  }
}

/** POSTs an `application/x-www-form-urlencoded` body; resolves with any status, throws TransportError. */
export function postForm(url: string, fields: Record<string, string>, options: HttpCallOptions): Promise<HttpResult> {
  return send(url, 'POST', new URLSearchParams(fields).toString(), {
    ...options,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
  });
}

/** GETs a URL; resolves with any status, throws TransportError. */
export function getText(url: string, options: HttpCallOptions): Promise<HttpResult> {
  return send(url, 'GET', undefined, options);
}

/** Parses JSON, answering undefined instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Shortens an upstream body for an error message (Google's error bodies carry no secrets; length is bounded). */
export function excerpt(text: string, limit = 500): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= limit ? flat : `${flat.slice(0, limit - 3)}...`;
}
