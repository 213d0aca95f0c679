/**
 * v1internal generation: generateContent, streamGenerateContent?alt=sse, countTokens.
 */
import { buildAnswer, checkHistorySignatures, countRequestTokens } from './answer.ts';
import { checkCountTokensBody, checkGenerateEnvelope, type GenerateEnvelope } from './envelope.ts';
import { formatGoogleDuration, googleError, scriptedGoogleError } from './google-errors.ts';
import { resetConnection, sendBody, sleep } from './http-util.ts';
import { renderNonStream, renderStreamChunks, sseFrame } from './render.ts';
import type { Exchange, FakeRuntime } from './runtime.ts';

let responseCounter = 0;

function nextIds(model: string): { model: string; responseId: string; traceId: string } {
  responseCounter++;
  const suffix = responseCounter.toString(16).padStart(8, '0');
  return { model, responseId: `resp_fake_${suffix}`, traceId: `fake${suffix}` };
}

/** Validation shared by both generate methods; answers the error and returns undefined when the call fails. */
function prepare(runtime: FakeRuntime, exchange: Exchange): GenerateEnvelope | undefined {
  const checked = checkGenerateEnvelope(exchange.body);
  if (!checked.ok) {
    sendBody(exchange, checked.status, googleError(checked.status, checked.message));
    return undefined;
  }
  const envelope = checked.value;
  const signatureProblem = checkHistorySignatures(
    envelope.model,
    envelope.request.contents,
    runtime.signer,
    runtime.settings.signatureChecks,
  );
  if (signatureProblem !== undefined) {
    sendBody(exchange, 400, googleError(400, signatureProblem));
    return undefined;
  }
  const account = runtime.state.requireAccount(exchange.email!);
  const quota = account.quotas.get(envelope.model);
  if (quota !== undefined && quota.remainingFraction <= 0) {
    const seconds = Math.max(0, (Date.parse(quota.resetTime) - runtime.now()) / 1000);
    const delay = formatGoogleDuration(seconds);
    sendBody(
      exchange,
      429,
      scriptedGoogleError(
        {
          kind: 'error',
          status: 429,
          reason: 'QUOTA_EXHAUSTED',
          quotaResetDelay: delay,
          quotaResetTimeStamp: quota.resetTime,
          retryDelay: `${Math.ceil(seconds)}s`,
        },
        envelope.model,
      ),
    );
    return undefined;
  }
  return envelope;
}

/** POST :generateContent */
export function handleGenerateContent(runtime: FakeRuntime, exchange: Exchange): void {
  const envelope = prepare(runtime, exchange);
  if (envelope === undefined) return;
  const ids = nextIds(envelope.model);
  const body = renderNonStream(buildAnswer(envelope, runtime.signer), ids);
  sendBody(exchange, 200, body, { 'x-cloudaicompanion-trace-id': ids.traceId });
}

/** POST :streamGenerateContent?alt=sse */
export async function handleStreamGenerateContent(runtime: FakeRuntime, exchange: Exchange): Promise<void> {
  const envelope = prepare(runtime, exchange);
  if (envelope === undefined) return;
  const ids = nextIds(envelope.model);
  const applied = exchange.applied;
  const chunks = renderStreamChunks(
    buildAnswer(envelope, runtime.signer),
    ids,
    applied?.streamChunks ?? runtime.settings.streamChunks,
    applied?.runningUsage === true,
  );
  if (exchange.query['alt'] !== 'sse') {
    // Without alt=sse Google streams one JSON array of the same chunks.
    sendBody(exchange, 200, `[${chunks.join(',\r\n')}]`, { 'x-cloudaicompanion-trace-id': ids.traceId });
    return;
  }
  const lineEnding = runtime.settings.lineEnding;
  const frames = chunks.map((chunk) => sseFrame(chunk, lineEnding));
  const { response } = exchange;
  exchange.call.outcome = 200;
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'x-cloudaicompanion-trace-id': ids.traceId,
  });
  const shaped =
    applied !== undefined &&
    (applied.chunkDelayMs !== undefined || applied.resetAfterChunks !== undefined || applied.splitWrites !== undefined);
  if (!shaped) {
    response.end(frames.join(''));
    return;
  }
  response.flushHeaders();
  for (let index = 0; index < frames.length; index++) {
    if (response.destroyed) return;
    if (applied.resetAfterChunks !== undefined && index >= applied.resetAfterChunks) {
      // Give the written frames a moment to leave before the RST, or the peer may discard them.
      await sleep(20);
      resetConnection(exchange);
      return;
    }
    const frame = frames[index]!;
    const split = applied.splitWrites;
    if (split === undefined) {
      response.write(frame);
    } else {
      const bytes = Buffer.from(frame, 'utf8');
      for (let offset = 0; offset < bytes.length; offset += split.pieceBytes) {
        if (response.destroyed) return;
        response.write(bytes.subarray(offset, offset + split.pieceBytes));
        if (split.delayMs > 0) await sleep(split.delayMs);
      }
    }
    if (applied.chunkDelayMs !== undefined && index < frames.length - 1) await sleep(applied.chunkDelayMs);
  }
  if (applied.resetAfterChunks !== undefined && applied.resetAfterChunks >= frames.length) {
    await sleep(20);
    resetConnection(exchange);
    return;
  }
  if (!response.destroyed) response.end();
}

/** POST :countTokens — `{request:{contents…}}` → `{totalTokens}` by the same rule as promptTokenCount. */
export function handleCountTokens(_runtime: FakeRuntime, exchange: Exchange): void {
  const checked = checkCountTokensBody(exchange.body);
  if (!checked.ok) {
    sendBody(exchange, checked.status, googleError(checked.status, checked.message));
    return;
  }
  sendBody(exchange, 200, { totalTokens: countRequestTokens(checked.value) });
}
