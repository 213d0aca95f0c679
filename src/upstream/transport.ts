/**
 * The ONE transport to Google's `v1internal` API, shared by generation (client.ts) and the Cloud Code management
 * calls (src/google/code-assist.ts): one keep-alive undici Agent per OAuth identity, endpoints tried in order under a caller-given
 * policy, per-phase timeouts, and cancellation that reaches the socket. It never retries beyond the endpoint
 * fallback (the pool's rotation loop is the only retry loop), never reads a 2xx body itself, and never logs
 * bodies or tokens. Its owner (the composition root) closes it.
 */
import { hash } from 'node:crypto';
import { Agent, type Dispatcher } from 'undici';
import { GatewayError } from '../errors/catalogue.ts';
import { callDeadline } from './call-deadline.ts';
import { type AnswerBody, type DispatchAnswer, dispatchCall } from './dispatch-call.ts';
import { errorCodeOf } from './error-code.ts';
import { pacedPieces } from './json-payload.ts';
import type { OutboundProxies, ProxyChoice } from './proxy/outbound-proxies.ts';

/** Which base URLs a call may use, and after which answers it moves on to the next one. */
export interface EndpointPolicy {
  /** `v1internal` base URLs, tried in order. */
  readonly endpoints: readonly string[];
  /** True for a status after which the next endpoint is tried; the last endpoint's answer is returned as it is. */
  readonly fallbackOn: (status: number) => boolean;
  /**
   * Answers whose body decides: for a status this accepts, the error body is read (at most 64 KiB) and the next
   * endpoint is tried when `fallbackOnBody` says so; otherwise the answer is returned with that body.
   */
  readonly inspectBodyOn?: (status: number) => boolean;
  readonly fallbackOnBody?: (status: number, bodyText: string) => boolean;
}

/** Per-call time budgets, milliseconds. */
export interface CallTimeouts {
  /** From request sent to response headers received. */
  readonly headersMs: number;
  /** Longest silence between two body chunks. */
  readonly chunkGapMs: number;
  /** Whole call including the streamed body. */
  readonly totalMs: number;
}

function byteLength(pieces: readonly Buffer[]): number {
  return pieces.reduce((total, piece) => total + piece.length, 0);
}

export interface TransportRequest {
  /** `generateContent`, `loadCodeAssist`, … — appended as `{base}:{method}`. */
  readonly method: string;
  /** Query string without `?`, e.g. `alt=sse`. */
  readonly query?: string | undefined;
  readonly headers: Record<string, string>;
  /** The JSON to POST: text, or pieces sent one after the other (large strings copied as bytes, json-payload.ts). */
  readonly body: string | readonly Buffer[];
  /** Aborting cancels the request, also mid-stream, and closes the upstream connection. */
  readonly signal?: AbortSignal | undefined;
  readonly policy: EndpointPolicy;
  readonly timeouts: CallTimeouts;
  /** The account's own outbound proxy URL (issue 18); absent: the global/environment proxy, if any, applies. */
  readonly proxy?: string | null | undefined;
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

export interface TransportSettings {
  /** TCP + TLS handshake budget per endpoint, milliseconds. */
  readonly connectTimeoutMs: number;
  /** How long an idle upstream connection is kept for reuse, milliseconds. */
  readonly keepAliveTimeoutMs: number;
  /** Connections per upstream origin; undefined = unlimited. */
  readonly connections?: number | undefined;
}

export interface UpstreamTransport {
  send(request: TransportRequest): Promise<UpstreamResponse>;
  /** Closes the Agents and their sockets (not a dispatcher passed in: its creator closes that). */
  close(): Promise<void>;
}

/** One endpoint's outcome, kept for the final error's details (never a body). */
interface Attempt {
  endpoint: string;
  status?: number;
  error?: 'timeout' | 'network';
}

/** Bytes read from a discarded fallback response so its connection can be reused. */
const discardLimitBytes = 64 * 1024;

function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function callerAbortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The upstream call was cancelled', 'AbortError');
}

/** Most identities with a connection pool of their own at once; the least recently used one is closed beyond. */
const maxIdentityPools = 256;

/**
 * The connection pool of one OAuth identity (issue 16): Google sees each account on its own connections, as the
 * Antigravity app of that account would, and no TCP/TLS connection ever carries two accounts' bearers (peers keep
 * one pool per credential too). The identity is the bearer token of the call, hashed so no token is kept as a key;
 * a refreshed token gets a new pool and the old one idles out (keep-alive) or is closed when evicted.
 */
function identityOf(headers: Readonly<Record<string, string>>, proxy: ProxyChoice | undefined): string {
  const bearer = headers['authorization'] ?? headers['Authorization'] ?? '';
  // The proxy is part of the identity: a pool never mixes a direct connection with a tunnel, or two proxies.
  return hash('sha256', proxy === undefined ? bearer : `${bearer}\n${proxy.url}`, 'base64url');
}

/** Creates the transport; its Agents live until close(). */
export function createUpstreamTransport(
  settings: TransportSettings,
  dependencies: { dispatcher?: Dispatcher; proxies?: OutboundProxies } = {},
): UpstreamTransport {
  const { proxies } = dependencies;
  const newAgent = (proxy: ProxyChoice | undefined): Dispatcher =>
    proxy !== undefined && proxies !== undefined
      ? proxies.createDispatcher(proxy, settings)
      : new Agent({
          connect: { timeout: settings.connectTimeoutMs },
          keepAliveTimeout: settings.keepAliveTimeoutMs,
          keepAliveMaxTimeout: settings.keepAliveTimeoutMs,
          // HTTP/1.1 only: each stream gets its own socket, so cancelling one closes exactly that socket, and
          // undici's h2 support is still marked experimental.
          allowH2: false,
          ...(settings.connections === undefined ? {} : { connections: settings.connections }),
        });
  /** Identity → its own Agent, in least-recently-used order (a Map keeps insertion order). */
  const ownAgents = new Map<string, Dispatcher>();
  const dispatcherFor = (headers: Readonly<Record<string, string>>, proxy: ProxyChoice | undefined): Dispatcher => {
    // A dispatcher passed in (tests) is used as it is: its creator decides how it pools.
    if (dependencies.dispatcher) return dependencies.dispatcher;
    const identity = identityOf(headers, proxy);
    let agent = ownAgents.get(identity);
    if (agent !== undefined) ownAgents.delete(identity);
    else agent = newAgent(proxy);
    ownAgents.set(identity, agent);
    if (ownAgents.size > maxIdentityPools) {
      const [oldest, evicted] = ownAgents.entries().next().value as [string, Dispatcher];
      ownAgents.delete(oldest);
      // close() lets calls in flight finish, then closes the sockets.
      void evicted.close().catch(() => undefined);
    }
    return agent;
  };

  async function send(call: TransportRequest): Promise<UpstreamResponse> {
    const { policy, timeouts } = call;
    if (policy.endpoints.length === 0) {
      throw new GatewayError('AGW_CONFIG_INVALID', 'At least one upstream endpoint is required');
    }
    const callerSignal = call.signal;
    if (callerSignal?.aborted) throw callerAbortReason(callerSignal);

    // The total budget is a timer that aborts, so it also cuts a body that keeps trickling in; the caller's cancel
    // aborts the same signal. Both are let go when the call ends (call-deadline.ts says why not AbortSignal.any).
    const total = callDeadline(callerSignal, timeouts.totalMs);
    const finish = () => total.release();
    const signal = total.signal;
    const failure: FailureContext = {
      method: call.method,
      timeouts,
      callerSignal,
      totalSignal: total.signal,
    };

    const attempts: Attempt[] = [];
    try {
      for (let index = 0; index < policy.endpoints.length; index += 1) {
        const endpoint = policy.endpoints[index]!;
        const url = `${endpoint}:${call.method}${call.query ? `?${call.query}` : ''}`;
        const proxy = proxies?.choose(url, call.proxy);
        let response: DispatchAnswer;
        try {
          const target = new URL(url);
          response = await dispatchCall(dispatcherFor(call.headers, proxy), {
            origin: target.origin,
            path: `${target.pathname}${target.search}`,
            headers: Array.isArray(call.body)
              ? { ...call.headers, 'content-length': String(byteLength(call.body)) }
              : call.headers,
            // A fresh stream per endpoint: the pieces are sent again if this endpoint refuses.
            body: typeof call.body === 'string' ? call.body : pacedPieces(call.body),
            signal,
            headersTimeout: timeouts.headersMs,
            bodyTimeout: timeouts.chunkGapMs,
          });
        } catch (error) {
          if (callerSignal?.aborted) throw callerAbortReason(callerSignal);
          if (total.signal.aborted) throw totalTimeoutError(failure);
          // A dead proxy is the account's route failing, not Google: the other endpoints go through the same proxy,
          // so the account is given up at once and the pool rotates to another one.
          const proxyFailure = proxies?.proxyFailure(error, proxy);
          if (proxyFailure !== undefined) throw proxyFailure;
          // A connect or headers timeout counts like a refused connection: this endpoint is not serving now.
          attempts.push({ endpoint, error: errorCodeOf(error)?.includes('TIMEOUT') ? 'timeout' : 'network' });
          continue;
        }
        const status = response.statusCode;
        const isLast = index === policy.endpoints.length - 1;
        if (policy.fallbackOn(status) && !isLast) {
          attempts.push({ endpoint, status });
          await response.body.dump(discardLimitBytes).catch(() => undefined);
          continue;
        }
        if (!isLast && policy.inspectBodyOn?.(status) === true && policy.fallbackOnBody !== undefined) {
          const text = await readLimited(response.body).catch(() => '');
          if (policy.fallbackOnBody(status, text)) {
            attempts.push({ endpoint, status });
            continue;
          }
          finish();
          return bufferedResponse(response, endpoint, text);
        }
        return wrapResponse(response, endpoint, failure, finish);
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
    throw new GatewayError(code, `${call.method}: no upstream endpoint answered (${summary})`, {
      ...(lastWithStatus?.status === undefined ? {} : { upstreamStatus: lastWithStatus.status }),
      details: {
        method: call.method,
        attempts,
        lastEndpoint: last?.endpoint,
        lastStatus: lastWithStatus?.status,
      },
    });
  }

  return {
    send,
    close: async () => {
      const agents = [...ownAgents.values()];
      ownAgents.clear();
      await Promise.all(agents.map((agent) => agent.close()));
    },
  };
}

/** Reads an error body, at most `discardLimitBytes` (the rest is dropped with the connection). */
async function readLimited(body: AnswerBody): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    text += decoder.decode(chunk, { stream: true });
    if (size > discardLimitBytes) {
      body.destroy();
      break;
    }
  }
  return text + decoder.decode();
}

/** A non-2xx answer whose body was already read (to decide on the fallback), handed on as it was. */
function bufferedResponse(response: DispatchAnswer, endpoint: string, text: string): UpstreamResponse {
  const bytes = new TextEncoder().encode(text);
  const body: UpstreamBody = {
    [Symbol.asyncIterator]: () => yieldBytes(bytes),
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

interface FailureContext {
  readonly method: string;
  readonly timeouts: CallTimeouts;
  readonly callerSignal: AbortSignal | undefined;
  readonly totalSignal: AbortSignal;
}

function totalTimeoutError(context: FailureContext): GatewayError {
  return new GatewayError('AGW_UPSTREAM_TIMEOUT', `${context.method} exceeded ${context.timeouts.totalMs} ms`, {
    details: { phase: 'total', method: context.method },
  });
}

/*
 * The body generators below are declared once, at module level, and take their state as arguments. A generator
 * function declared inside a per-call function is a new function per call, and V8 gives each one its own prototype
 * and hidden class; hidden classes live in the old generation, so they keep the function and its whole enclosing
 * scope (the response, the call, the request behind it) alive through every young-generation GC until the next full
 * one. Moving the three on the generation path here took each scavenge from 5.86 to 5.59 MB copied; the larger
 * survivor source is still open (docs/performance.md). test/source/generators.test.ts keeps generators at module level.
 */

async function* yieldBytes(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  if (bytes.length > 0) yield bytes;
}

interface BodyReading {
  readonly raw: AnswerBody;
  readonly mapError: (error: unknown) => unknown;
  readonly finish: () => void;
  iterated: boolean;
}

async function* readBody(reading: BodyReading): AsyncGenerator<Uint8Array> {
  if (reading.iterated) throw new GatewayError('AGW_INTERNAL', 'An upstream body can be read only once');
  reading.iterated = true;
  const { raw } = reading;
  try {
    for await (const chunk of raw) yield chunk;
  } catch (error) {
    throw reading.mapError(error);
  } finally {
    // Leaving early (break, throw in the consumer) must not leave the upstream generating for nobody.
    if (!raw.readableEnded) raw.destroy();
    reading.finish();
  }
}

function wrapResponse(
  response: DispatchAnswer,
  endpoint: string,
  context: FailureContext,
  finish: () => void,
): UpstreamResponse {
  const raw = response.body;
  raw.onClose(finish);
  const { method } = context;
  const mapError = (error: unknown): unknown => {
    if (context.callerSignal?.aborted) return callerAbortReason(context.callerSignal);
    if (context.totalSignal.aborted) return totalTimeoutError(context);
    if (errorCodeOf(error) === 'UND_ERR_BODY_TIMEOUT') {
      return new GatewayError(
        'AGW_UPSTREAM_TIMEOUT',
        `${method}: no data from upstream for ${context.timeouts.chunkGapMs} ms`,
        { details: { phase: 'chunk-gap', endpoint, method } },
      );
    }
    return new GatewayError('AGW_UPSTREAM_STREAM_BROKEN', `${method}: the upstream stream broke`, {
      cause: error,
      details: { endpoint, method, reason: errorCodeOf(error) ?? 'unknown' },
    });
  };
  const reading: BodyReading = { raw, mapError, finish, iterated: false };
  const body: UpstreamBody = {
    [Symbol.asyncIterator]: () => readBody(reading),
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
