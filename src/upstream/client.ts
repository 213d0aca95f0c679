/**
 * The v1internal client (upstream-and-protocols.md §2.1-2.4, §15): one keep-alive undici Agent, endpoints tried
 * in order, per-phase timeouts, and cancellation that reaches the socket. It never retries beyond the endpoint
 * fallback (the pool's rotation loop is the only retry loop), never reads a 2xx body itself, and never logs
 * bodies or tokens.
 */
import { Readable } from 'node:stream';
import { Agent, type Dispatcher, request } from 'undici';
import { GatewayError } from '../errors/catalogue.ts';
import { errorCodeOf } from './error-code.ts';
import { serializePayload } from './json-payload.ts';
import type { UpstreamSettings } from './settings.ts';

export interface UpstreamCall {
  /** `generateContent`, `streamGenerateContent`, `countTokens`, … — appended as `{base}:{method}`. */
  method: string;
  /** Query string without `?`, e.g. `alt=sse`. */
  query?: string;
  accessToken: string;
  body: unknown;
  /** Sent as `x-goog-user-project` when set (and not a placeholder). */
  projectId?: string;
  /** The upstream model; a Claude model adds the `anthropic-beta` header. */
  model?: string;
  /** Overrides the default `anthropic-beta` value (the Gemini-native path asks for more betas). */
  anthropicBeta?: string;
  /** Aborting cancels the request, also mid-stream, and closes the upstream connection. */
  signal?: AbortSignal;
}

/** The response body: iterate it once, or destroy it. Errors while iterating are GatewayErrors. */
export type UpstreamBody = AsyncIterable<Uint8Array> & { destroy(): void };

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  /** Not consumed: the caller streams it (SSE reader) or calls text(). */
  body: UpstreamBody;
  /** The base URL that answered. */
  endpoint: string;
  /** Reads the whole body as UTF-8 (for errors and non-stream calls). */
  text(): Promise<string>;
}

export interface UpstreamClient {
  call(call: UpstreamCall): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

export interface UpstreamClientDependencies {
  /** Replaces the client's own Agent (tests, a proxy dispatcher). Not closed by close(). */
  dispatcher?: Dispatcher;
}

/** One endpoint's outcome, kept for the final error's details (never a body). */
interface Attempt {
  endpoint: string;
  status?: number;
  error?: 'timeout' | 'network';
}

const defaultAnthropicBeta = 'claude-code-20250219';
/** Placeholder project ids some clients send; Google rejects them as a billing project. */
const placeholderProjects = new Set(['test-project', 'project-id']);
/** Bytes read from a discarded fallback response so its connection can be reused. */
const discardLimitBytes = 64 * 1024;

function isFallbackStatus(status: number): boolean {
  return status === 404 || status === 408 || status >= 500;
}

/**
 * A 429 that says this server has no capacity for the model (MODEL_CAPACITY_EXHAUSTED, "No capacity available"):
 * capacity is per server, so the next base URL may serve the same account at once (issue 16; peers fall back too).
 * A quota or rate-limit 429 is the account's and goes back to the pool as it is.
 */
const capacityWords = /MODEL_CAPACITY_EXHAUSTED|no capacity available/i;

function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** The headers of §2.3 for one call. */
export function buildUpstreamHeaders(settings: UpstreamSettings, call: UpstreamCall): Record<string, string> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${call.accessToken}`,
    'content-type': 'application/json',
    'user-agent': settings.userAgent,
    'x-client-name': 'antigravity',
    'x-client-version': settings.clientVersion,
  };
  const project = call.projectId?.trim();
  if (project && !placeholderProjects.has(project)) headers['x-goog-user-project'] = project;
  if (call.anthropicBeta !== undefined) headers['anthropic-beta'] = call.anthropicBeta;
  else if (call.model?.toLowerCase().includes('claude')) headers['anthropic-beta'] = defaultAnthropicBeta;
  return headers;
}

function callerAbortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The upstream call was cancelled', 'AbortError');
}

/** Reads an error body, at most `discardLimitBytes` (the rest is dropped with the connection). */
async function readLimited(body: Dispatcher.ResponseData['body']): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for await (const chunk of body) {
    const piece = chunk as Uint8Array;
    size += piece.length;
    text += decoder.decode(piece, { stream: true });
    if (size > discardLimitBytes) {
      body.destroy();
      break;
    }
  }
  return text + decoder.decode();
}

/** Creates the client; its Agent lives until close(). */
export function createUpstreamClient(
  settings: UpstreamSettings,
  dependencies: UpstreamClientDependencies = {},
): UpstreamClient {
  if (settings.endpoints.length === 0) {
    throw new GatewayError('AGW_CONFIG_INVALID', 'At least one upstream endpoint is required');
  }
  const ownAgent = dependencies.dispatcher
    ? undefined
    : new Agent({
        connect: { timeout: settings.connectTimeoutMs },
        keepAliveTimeout: settings.keepAliveTimeoutMs,
        keepAliveMaxTimeout: settings.keepAliveTimeoutMs,
        headersTimeout: settings.headersTimeoutMs,
        bodyTimeout: settings.chunkGapTimeoutMs,
        // HTTP/1.1 only: each stream gets its own socket, so cancelling one closes exactly that socket, and
        // undici's h2 support is still marked experimental.
        allowH2: false,
        ...(settings.connections === undefined ? {} : { connections: settings.connections }),
      });
  const dispatcher: Dispatcher = dependencies.dispatcher ?? ownAgent!;

  async function call(upstreamCall: UpstreamCall): Promise<UpstreamResponse> {
    const payload = serializePayload(upstreamCall.body);
    const headers = buildUpstreamHeaders(settings, upstreamCall);
    if (Array.isArray(payload)) {
      headers['content-length'] = String(payload.reduce((total, piece) => total + piece.length, 0));
    }
    const callerSignal = upstreamCall.signal;
    if (callerSignal?.aborted) throw callerAbortReason(callerSignal);

    // The total budget is a timer that aborts, so it also cuts a body that keeps trickling in.
    const total = new AbortController();
    const timer = setTimeout(() => total.abort(), settings.totalTimeoutMs);
    timer.unref();
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
    };
    const signal = callerSignal ? AbortSignal.any([callerSignal, total.signal]) : total.signal;
    const totalTimeoutError = () =>
      new GatewayError('AGW_UPSTREAM_TIMEOUT', `${upstreamCall.method} exceeded ${settings.totalTimeoutMs} ms`, {
        details: { phase: 'total', method: upstreamCall.method },
      });

    const attempts: Attempt[] = [];
    try {
      for (let index = 0; index < settings.endpoints.length; index += 1) {
        const endpoint = settings.endpoints[index]!;
        const url = `${endpoint}:${upstreamCall.method}${upstreamCall.query ? `?${upstreamCall.query}` : ''}`;
        let response: Dispatcher.ResponseData;
        try {
          response = await request(url, {
            dispatcher,
            method: 'POST',
            headers,
            // A fresh iterator per endpoint: the pieces are sent again if this endpoint refuses.
            body: Array.isArray(payload) ? Readable.from(payload, { objectMode: false }) : payload,
            signal,
            headersTimeout: settings.headersTimeoutMs,
            bodyTimeout: settings.chunkGapTimeoutMs,
          });
        } catch (error) {
          if (callerSignal?.aborted) throw callerAbortReason(callerSignal);
          if (total.signal.aborted) throw totalTimeoutError();
          // A connect or headers timeout counts like a refused connection: this endpoint is not serving now.
          attempts.push({ endpoint, error: errorCodeOf(error)?.includes('TIMEOUT') ? 'timeout' : 'network' });
          continue;
        }
        const status = response.statusCode;
        const isLast = index === settings.endpoints.length - 1;
        if (isFallbackStatus(status) && !isLast) {
          attempts.push({ endpoint, status });
          await response.body.dump({ limit: discardLimitBytes }).catch(() => undefined);
          continue;
        }
        if (status === 429 && !isLast) {
          const text = await readLimited(response.body).catch(() => '');
          if (capacityWords.test(text)) {
            attempts.push({ endpoint, status });
            continue;
          }
          finish();
          return bufferedResponse(response, endpoint, text);
        }
        return wrapResponse(response, endpoint, upstreamCall, callerSignal, total.signal, finish, totalTimeoutError);
      }
    } catch (error) {
      finish();
      throw error;
    }
    finish();
    const last = attempts.at(-1);
    const lastWithStatus = attempts.findLast((attempt) => attempt.status !== undefined);
    const code = last?.error === 'timeout' ? 'AGW_UPSTREAM_TIMEOUT' : 'AGW_UPSTREAM_UNREACHABLE';
    const summary = attempts
      .map((attempt) => `${attempt.endpoint} → ${attempt.status ?? attempt.error ?? 'failed'}`)
      .join('; ');
    throw new GatewayError(code, `${upstreamCall.method}: no upstream endpoint answered (${summary})`, {
      ...(lastWithStatus?.status === undefined ? {} : { upstreamStatus: lastWithStatus.status }),
      details: {
        method: upstreamCall.method,
        attempts,
        lastEndpoint: last?.endpoint,
        lastStatus: lastWithStatus?.status,
      },
    });
  }

  /** A non-2xx answer whose body was already read (to decide on the fallback), handed on as it was. */
  function bufferedResponse(response: Dispatcher.ResponseData, endpoint: string, text: string): UpstreamResponse {
    const bytes = new TextEncoder().encode(text);
    const body: UpstreamBody = {
      async *[Symbol.asyncIterator]() {
        if (bytes.length > 0) yield bytes;
      },
      destroy: () => undefined,
    };
    return {
      status: response.statusCode,
      headers: flattenHeaders(response.headers),
      body,
      endpoint,
      text: async () => text,
    };
  }

  function wrapResponse(
    response: Dispatcher.ResponseData,
    endpoint: string,
    upstreamCall: UpstreamCall,
    callerSignal: AbortSignal | undefined,
    totalSignal: AbortSignal,
    finish: () => void,
    totalTimeoutError: () => GatewayError,
  ): UpstreamResponse {
    const raw = response.body;
    raw.once('close', finish);
    const mapError = (error: unknown): unknown => {
      if (callerSignal?.aborted) return callerAbortReason(callerSignal);
      if (totalSignal.aborted) return totalTimeoutError();
      if (errorCodeOf(error) === 'UND_ERR_BODY_TIMEOUT') {
        return new GatewayError(
          'AGW_UPSTREAM_TIMEOUT',
          `${upstreamCall.method}: no data from upstream for ${settings.chunkGapTimeoutMs} ms`,
          { details: { phase: 'chunk-gap', endpoint, method: upstreamCall.method } },
        );
      }
      return new GatewayError('AGW_UPSTREAM_STREAM_BROKEN', `${upstreamCall.method}: the upstream stream broke`, {
        cause: error,
        details: { endpoint, method: upstreamCall.method, reason: errorCodeOf(error) ?? 'unknown' },
      });
    };
    let iterated = false;
    async function* iterate(): AsyncGenerator<Uint8Array> {
      if (iterated) throw new GatewayError('AGW_INTERNAL', 'An upstream body can be read only once');
      iterated = true;
      try {
        for await (const chunk of raw) yield chunk as Uint8Array;
      } catch (error) {
        throw mapError(error);
      } finally {
        // Leaving early (break, throw in the consumer) must not leave the upstream generating for nobody.
        if (!raw.readableEnded) raw.destroy();
        finish();
      }
    }
    const body: UpstreamBody = {
      [Symbol.asyncIterator]: iterate,
      destroy: () => {
        raw.destroy();
        finish();
      },
    };
    return {
      status: response.statusCode,
      headers: flattenHeaders(response.headers),
      body,
      endpoint,
      async text() {
        const decoder = new TextDecoder();
        let text = '';
        for await (const chunk of body) text += decoder.decode(chunk, { stream: true });
        return text + decoder.decode();
      },
    };
  }

  return {
    call,
    close: async () => {
      if (ownAgent) await ownAgent.close();
    },
  };
}
