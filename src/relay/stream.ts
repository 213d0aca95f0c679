/**
 * A streamed generation: the rotation loop runs attempts until one reaches its first content event (the commit
 * point), with the one heartbeat keeping the client connected meanwhile; then the answer is forwarded chunk by
 * chunk. Before the commit a failure can rotate, wait, or get the thinking-free retry, pings or not; after it, a
 * failure is an in-band error event and the stream ends cleanly. A failure that reaches the client before the
 * commit but after pings opened the response (status 200 already sent) also travels in-band.
 */
import { type ErrorCode, type GatewayError, toGatewayError } from '../errors/catalogue.ts';
import type { CanonicalEvent, CanonicalRequest } from '../protocols/canonical/types.ts';
import { runAttempt } from './attempt.ts';
import type { StreamOutput } from './encoders.ts';
import { executeRequestFor } from './execute-request.ts';
import { type FactsRecorder, type RelayFacts, recorderFor } from './facts.ts';
import { type Forwarder, forwarderFor } from './forwarder.ts';
import { type AttemptAnswer, generationPlan } from './generation-plan.ts';
import { type KeepAlive, keepAlive } from './keep-alive.ts';
import type { RelayServices } from './ports.ts';
import { withRetryBeforeCommit } from './retry-before-commit.ts';
import type { StreamSink } from './stream-sink.ts';

export interface StreamRequest {
  canonical: CanonicalRequest;
  /** Aborts when the client goes away; cancels the upstream call. */
  signal: AbortSignal;
  sink: StreamSink;
  output: StreamOutput;
  facts: RelayFacts;
  heartbeatIntervalMs: number;
}

interface Forwarding {
  readonly request: StreamRequest;
  readonly recorder: FactsRecorder;
  readonly heartbeat: KeepAlive;
  failedInBand: boolean;
}

/**
 * Resolves once the stream is over: answered, failed in-band, or left by the client. Rejects with the failure
 * only when nothing was sent yet, so the caller answers it with a plain error in its dialect.
 */
export async function relayStream(services: RelayServices, request: StreamRequest): Promise<void> {
  const { signal, sink } = request;
  const recorder = recorderFor(request.facts);
  const heartbeat = keepAlive(sink, request.heartbeatIntervalMs, () => services.metrics.recordHeartbeat());
  const forwarding: Forwarding = { request, recorder, heartbeat, failedInBand: false };
  try {
    let answer: AttemptAnswer;
    try {
      answer = await withRetryBeforeCommit(request.canonical, signal, (canonical) =>
        services.pool.execute(executeRequestFor(canonical, signal), (lease) =>
          runAttempt(services, generationPlan(canonical, 'first-content'), lease, signal, recorder),
        ),
      );
    } catch (error) {
      heartbeat.stop();
      await failBeforeCommit(forwarding, toGatewayError(error));
      return;
    }
    await forward(services, forwarding, answer);
  } finally {
    heartbeat.stop();
  }
}

function clientGone(request: StreamRequest): boolean {
  return request.signal.aborted || request.sink.closed;
}

async function write(forwarding: Forwarding, frames: readonly string[]): Promise<void> {
  if (frames.length === 0) return;
  forwarding.heartbeat.touch();
  await forwarding.request.sink.write(frames);
}

/** Writes the frames for `events`, noting usage and failures on the request's facts. */
async function take(
  forwarding: Forwarding,
  forwarder: Forwarder,
  events: readonly CanonicalEvent[],
  chunks: readonly unknown[],
): Promise<void> {
  for (const event of events) {
    if (event.type === 'usage') forwarding.recorder.usage(event.usage);
    if (event.type === 'error') {
      forwarding.recorder.failed(event.code);
      forwarding.failedInBand = true;
    }
  }
  await write(forwarding, forwarder.frames(events, chunks));
}

async function failBeforeCommit(forwarding: Forwarding, failure: GatewayError): Promise<void> {
  const { request, recorder } = forwarding;
  if (clientGone(request)) {
    recorder.failed('AGW_CLIENT_CLOSED');
    request.sink.end();
    return;
  }
  recorder.failed(failure.code);
  if (!request.sink.opened) throw failure;
  // Heartbeats already sent status 200: the failure can only travel in-band now.
  const forwarder = forwarderFor(request.output, '');
  await take(forwarding, forwarder, [{ type: 'error', code: failure.code, message: failure.message }], []);
  await write(forwarding, forwarder.end());
  request.sink.end();
}

function brokenStreamCode(error: GatewayError): ErrorCode {
  return error.code === 'AGW_UPSTREAM_TIMEOUT' ? 'AGW_UPSTREAM_TIMEOUT' : 'AGW_UPSTREAM_STREAM_BROKEN';
}

/** The committed part: what the attempt read, then the rest of the upstream stream as it arrives. */
async function forward(services: RelayServices, forwarding: Forwarding, answer: AttemptAnswer): Promise<void> {
  const { request, recorder } = forwarding;
  const forwarder = forwarderFor(request.output, answer.accountId);
  const startedAt = services.now();
  try {
    await take(forwarding, forwarder, answer.events, answer.chunks);
    while (!clientGone(request) && !forwarding.failedInBand) {
      const next = await answer.rest.next();
      if (next.done === true) break;
      await take(forwarding, forwarder, answer.decoder.push(next.value), [next.value]);
    }
    if (!clientGone(request) && !forwarding.failedInBand) await take(forwarding, forwarder, answer.decoder.end(), []);
  } catch (error) {
    if (!clientGone(request)) {
      const broken = toGatewayError(error);
      const event: CanonicalEvent = {
        type: 'error',
        code: brokenStreamCode(broken),
        message: `the upstream stream broke: ${broken.message}`,
      };
      await take(forwarding, forwarder, [event], []);
    }
  } finally {
    await answer.rest.return(undefined).catch(() => undefined);
    recorder.upstreamTime(services.now() - startedAt);
  }
  if (clientGone(request)) {
    recorder.failed('AGW_CLIENT_CLOSED');
    request.sink.end();
    return;
  }
  await write(forwarding, forwarder.end());
  request.sink.end();
}
