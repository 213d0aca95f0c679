/**
 * One generation request through the pool to v1internal, for every protocol.
 *
 * The pool's rotation loop is the only retry loop: each attempt here calls `streamGenerateContent` once and
 * reports the outcome. The commit point sits after the first upstream event: before it a failure goes back to the
 * loop (rotate, wait, refresh…); after it the client already has bytes, so a failure becomes an in-band error
 * event in the client's dialect and the stream ends cleanly. Non-stream requests read the whole upstream stream
 * inside the attempt, so they can rotate on any failure.
 */
import { createHash } from 'node:crypto';
import { GatewayError, toGatewayError } from '../errors/catalogue.ts';
import type { AttemptFunction, AttemptResult, ExecuteRequest, Lease, UpstreamFailure } from '../pool/attempt-types.ts';
import { buildEnvelope } from '../protocols/canonical/envelope.ts';
import type { CanonicalEvent, CanonicalRequest, CanonicalUsage } from '../protocols/canonical/types.ts';
import {
  createUpstreamDecoder,
  isUpstreamErrorBody,
  type UpstreamDecoder,
} from '../protocols/canonical/upstream-decoder.ts';
import { parseJsonData, parseSse, type SseFrame } from '../upstream/sse-reader.ts';
import type { SseChannel } from './sse-channel.ts';

export interface GenerationPool {
  execute<T>(request: ExecuteRequest, attempt: AttemptFunction<T>): Promise<T>;
}

export interface UpstreamCaller {
  call(options: {
    method: string;
    query?: string;
    accessToken: string;
    body: unknown;
    projectId?: string;
    model?: string;
    signal?: AbortSignal;
  }): Promise<{
    status: number;
    headers: Record<string, string>;
    body: AsyncIterable<Uint8Array>;
    text(): Promise<string>;
  }>;
}

export interface StreamEncoder {
  push(event: CanonicalEvent): string[];
  /** When present, raw upstream chunks (unwrapped) are passed here instead of events (Gemini pass-through). */
  pushUpstreamChunk?(chunk: unknown): string[];
  end(): string[];
}

export interface GenerationContext {
  pool: GenerationPool;
  upstream: UpstreamCaller;
  now: () => number;
}

/** What the request log and metrics need to know about a finished generation. */
export interface GenerationReport {
  accountId: string | undefined;
  attempts: number;
  upstreamMs: number;
  usage: CanonicalUsage | undefined;
  /** Set when the stream failed after the commit point. */
  inBandErrorCode: string | undefined;
}

/** A stable hash of what the client asked, for poisoned-request detection. */
export function requestFingerprint(canonical: CanonicalRequest): string {
  return createHash('sha256')
    .update(canonical.upstreamModel)
    .update(JSON.stringify(canonical.request.contents))
    .update(JSON.stringify(canonical.request.systemInstruction ?? null))
    .digest('hex')
    .slice(0, 32);
}

function executeRequest(canonical: CanonicalRequest, signal: AbortSignal): ExecuteRequest {
  return {
    model: canonical.upstreamModel,
    sessionKey: canonical.sessionKey,
    signal,
    // Lazy: a large prompt is only hashed when a failure (or a request under watch) needs its fingerprint.
    requestFingerprint: () => requestFingerprint(canonical),
  };
}

function envelopeFor(canonical: CanonicalRequest, lease: Lease): unknown {
  return buildEnvelope({
    projectId: lease.projectId,
    model: canonical.upstreamModel,
    request: canonical.request,
    requestType: 'agent',
    sessionKey: canonical.sessionKey,
    messageCount: canonical.request.contents.length,
    accountId: lease.accountId,
  });
}

function failure(failure: UpstreamFailure): AttemptResult<never> {
  return { ok: false, failure };
}

/** Maps a thrown upstream error to the failure the pool classifies; a client abort is rethrown as it is. */
function failureFromError(error: unknown, committed: boolean, signal: AbortSignal): AttemptResult<never> {
  if (signal.aborted) throw signal.reason ?? error;
  const gatewayError = toGatewayError(error);
  const kind = gatewayError.code === 'AGW_UPSTREAM_TIMEOUT' ? 'timeout' : 'network';
  return failure({ kind, message: gatewayError.message, committed });
}

type UpstreamResponse = Awaited<ReturnType<UpstreamCaller['call']>>;

/** One `streamGenerateContent` call for this attempt; a thrown upstream error becomes a classified failure. */
async function callStream(
  context: GenerationContext,
  canonical: CanonicalRequest,
  lease: Lease,
  signal: AbortSignal,
  committed: boolean,
): Promise<AttemptResult<UpstreamResponse>> {
  try {
    const response = await context.upstream.call({
      method: 'streamGenerateContent',
      query: 'alt=sse',
      accessToken: lease.accessToken,
      body: envelopeFor(canonical, lease),
      projectId: lease.projectId,
      model: canonical.upstreamModel,
      signal,
    });
    return { ok: true, value: response };
  } catch (error) {
    return failureFromError(error, committed, signal);
  }
}

interface OpenStream {
  frames: AsyncIterator<SseFrame>;
  decoder: UpstreamDecoder;
  /** Events (and raw chunks) read before the commit point. */
  events: CanonicalEvent[];
  chunks: unknown[];
  lease: Lease;
  startedAt: number;
}

/** Reads one frame; returns the parsed JSON chunk, `undefined` for frames without data, or `done`. */
async function readChunk(frames: AsyncIterator<SseFrame>): Promise<{ done: true } | { done: false; chunk: unknown }> {
  const next = await frames.next();
  if (next.done) return { done: true };
  let chunk: unknown;
  try {
    chunk = parseJsonData(next.value);
  } catch {
    // A non-JSON data line inside an answer: the stream is unusable from here on.
    throw new GatewayError('AGW_UPSTREAM_INVALID_RESPONSE', 'upstream sent a stream frame that is not JSON');
  }
  return { done: false, chunk };
}

/**
 * Streams a generation to `channel`. Resolves once the stream has ended (successfully or with an in-band
 * error); rejects with a GatewayError only when nothing was committed (the caller answers with a plain error).
 */
export async function streamGeneration(options: {
  context: GenerationContext;
  canonical: CanonicalRequest;
  /** Called once the serving account is known (Anthropic remembers signatures per account). */
  createEncoder: (accountId: string) => StreamEncoder;
  channel: SseChannel;
  signal: AbortSignal;
  heartbeatIntervalMs: number;
  responseHeaders: Record<string, string>;
}): Promise<GenerationReport> {
  const { context, canonical, channel, signal } = options;
  let attempts = 0;
  const opened = await context.pool.execute<OpenStream>(executeRequest(canonical, signal), async (lease) => {
    attempts = lease.attempt;
    const startedAt = context.now();
    const called = await callStream(context, canonical, lease, signal, channel.committed);
    if (!called.ok) return called;
    const response = called.value;
    if (response.status !== 200) {
      const bodyText = await response.text().catch(() => '');
      return failure({
        kind: 'http',
        status: response.status,
        headers: response.headers,
        bodyText,
        committed: channel.committed,
      });
    }
    const frames = parseSse(response.body)[Symbol.asyncIterator]();
    const decoder = createUpstreamDecoder();
    const events: CanonicalEvent[] = [];
    const chunks: unknown[] = [];
    try {
      // The peek: wait for the first real event, keeping the client alive with pings meanwhile. A ping commits
      // the response, so from then on a failure of this attempt can no longer rotate.
      while (events.length === 0) {
        const read = await withHeartbeat(
          readChunk(frames),
          channel,
          options.heartbeatIntervalMs,
          options.responseHeaders,
        );
        if (read.done) {
          return failure({
            kind: 'http',
            status: 200,
            headers: response.headers,
            bodyText: 'upstream stream ended without any content',
            committed: channel.committed,
          });
        }
        if (read.chunk === undefined) continue;
        if (isUpstreamErrorBody(read.chunk)) {
          return failure({
            kind: 'http',
            status: 200,
            headers: response.headers,
            bodyText: JSON.stringify(read.chunk),
            committed: channel.committed,
          });
        }
        chunks.push(read.chunk);
        events.push(...decoder.push(read.chunk));
      }
    } catch (error) {
      return failureFromError(error, channel.committed, signal);
    }
    return { ok: true, value: { frames, decoder, events, chunks, lease, startedAt } };
  });

  channel.commit(options.responseHeaders);
  const encoder = options.createEncoder(opened.lease.accountId);
  let usage: CanonicalUsage | undefined;
  let inBandErrorCode: string | undefined;
  const emit = async (events: readonly CanonicalEvent[], chunk?: unknown): Promise<void> => {
    const frames: string[] = [];
    for (const event of events) {
      if (event.type === 'usage') usage = event.usage;
      if (event.type === 'error') inBandErrorCode = event.code;
      if (encoder.pushUpstreamChunk === undefined || event.type === 'error') frames.push(...encoder.push(event));
    }
    if (chunk !== undefined && encoder.pushUpstreamChunk) frames.push(...encoder.pushUpstreamChunk(chunk));
    await channel.write(frames);
  };

  if (encoder.pushUpstreamChunk) {
    for (const chunk of opened.chunks) await emit([], chunk);
    await emit(opened.events.filter((event) => event.type === 'usage' || event.type === 'error'));
  } else {
    await emit(opened.events);
  }
  try {
    while (!channel.closed) {
      const read = await readChunk(opened.frames);
      if (read.done) break;
      if (read.chunk === undefined) continue;
      if (isUpstreamErrorBody(read.chunk)) {
        await emit([
          {
            type: 'error',
            code: 'AGW_UPSTREAM_SERVER_ERROR',
            message: 'upstream reported an error in the middle of the answer',
          },
        ]);
        break;
      }
      await emit(opened.decoder.push(read.chunk), read.chunk);
    }
    if (!channel.closed && inBandErrorCode === undefined) await emit(opened.decoder.end());
  } catch (error) {
    if (!signal.aborted && !channel.closed) {
      const gatewayError = toGatewayError(error);
      const code = gatewayError.code === 'AGW_UPSTREAM_TIMEOUT' ? 'AGW_UPSTREAM_TIMEOUT' : 'AGW_UPSTREAM_STREAM_BROKEN';
      await emit([{ type: 'error', code, message: `the upstream stream broke: ${gatewayError.message}` }]);
    }
  } finally {
    await opened.frames.return?.().catch(() => undefined);
  }
  if (!channel.closed) {
    await channel.write(encoder.end());
    channel.end();
  }
  return {
    accountId: opened.lease.accountId,
    attempts,
    upstreamMs: context.now() - opened.startedAt,
    usage,
    inBandErrorCode,
  };
}

/** Resolves `work`, writing a ping to `channel` for every `intervalMs` it stays pending. */
async function withHeartbeat<T>(
  work: Promise<T>,
  channel: SseChannel,
  intervalMs: number,
  headers: Record<string, string>,
): Promise<T> {
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<'tick'>((resolve) => {
      timer = setTimeout(() => resolve('tick'), intervalMs);
      timer.unref();
    });
    const winner = await Promise.race([work.then((value) => ({ value })), tick]);
    clearTimeout(timer);
    if (winner !== 'tick') return winner.value;
    channel.commit(headers);
    await channel.ping();
  }
}

export interface CollectedGeneration {
  events: CanonicalEvent[];
  /** The unwrapped upstream chunks, for Gemini's non-stream answer. */
  chunks: unknown[];
  report: GenerationReport;
}

/** A non-stream generation: the whole upstream stream is read inside the attempt, so any failure can rotate. */
export async function collectGeneration(options: {
  context: GenerationContext;
  canonical: CanonicalRequest;
  signal: AbortSignal;
}): Promise<CollectedGeneration> {
  const { context, canonical, signal } = options;
  let attempts = 0;
  return context.pool.execute<CollectedGeneration>(executeRequest(canonical, signal), async (lease) => {
    attempts = lease.attempt;
    const startedAt = context.now();
    const called = await callStream(context, canonical, lease, signal, false);
    if (!called.ok) return called;
    const response = called.value;
    if (response.status !== 200) {
      const bodyText = await response.text().catch(() => '');
      return failure({ kind: 'http', status: response.status, headers: response.headers, bodyText, committed: false });
    }
    const decoder = createUpstreamDecoder();
    const events: CanonicalEvent[] = [];
    const chunks: unknown[] = [];
    try {
      const frames = parseSse(response.body)[Symbol.asyncIterator]();
      for (;;) {
        const read = await readChunk(frames);
        if (read.done) break;
        if (read.chunk === undefined) continue;
        if (isUpstreamErrorBody(read.chunk)) {
          return failure({
            kind: 'http',
            status: 200,
            headers: response.headers,
            bodyText: JSON.stringify(read.chunk),
            committed: false,
          });
        }
        chunks.push(read.chunk);
        events.push(...decoder.push(read.chunk));
      }
      events.push(...decoder.end());
    } catch (error) {
      return failureFromError(error, false, signal);
    }
    const broken = events.find((event) => event.type === 'error');
    if (broken && broken.type === 'error') {
      // Nothing reached the client yet, so a truncated answer is retried on another account instead.
      return failure({ kind: 'network', message: broken.message, committed: false });
    }
    const usage = [...events].reverse().find((event) => event.type === 'usage');
    return {
      ok: true,
      value: {
        events,
        chunks,
        report: {
          accountId: lease.accountId,
          attempts,
          upstreamMs: context.now() - startedAt,
          usage: usage?.type === 'usage' ? usage.usage : undefined,
          inBandErrorCode: undefined,
        },
      },
    };
  });
}
