/**
 * v1internal generation: generateContent, streamGenerateContent?alt=sse, countTokens.
 */
import { buildAnswer, checkHistorySignatures, countRequestTokens } from './answer.ts';
import { checkCountTokensBody, checkGenerateEnvelope, type GenerateEnvelope } from './envelope.ts';
import {
  type CheckContext,
  checkClaudeToolHistory,
  checkClientVersion,
  checkImageRequest,
  checkModelAvailable,
  checkOutputCap,
  checkPromptFilter,
  checkThinkingLevel,
  checkValidatedTools,
  type Rejection,
  servesModel,
} from './generate-checks.ts';
import { formatGoogleDuration, googleError, insufficientCreditsError, scriptedGoogleError } from './google-errors.ts';
import { resetConnection, sendBody, sleep } from './http-util.ts';
import { renderNonStream, renderStreamChunks, sseFrame } from './render.ts';
import type { Exchange, FakeRuntime } from './runtime.ts';
import type { ModelQuota } from './types.ts';

let responseCounter = 0;

function nextIds(model: string): { model: string; responseId: string; traceId: string } {
  responseCounter++;
  const suffix = responseCounter.toString(16).padStart(8, '0');
  return { model, responseId: `resp_fake_${suffix}`, traceId: `fake${suffix}` };
}

/** Answers a rule's rejection; a 200 rejection is the text error old clients get, as JSON or SSE body. */
function sendRejection(exchange: Exchange, rejection: Rejection): void {
  exchange.call.rule = rejection.rule;
  if (typeof rejection.body === 'string') {
    const contentType =
      exchange.endpoint === 'streamGenerateContent' ? 'text/event-stream' : 'application/json; charset=UTF-8';
    sendBody(exchange, rejection.status, rejection.body, {}, contentType);
    return;
  }
  sendBody(exchange, rejection.status, rejection.body);
}

/** The backend rules, in the order the fake applies them (docs/fake-google.md). */
function firstRejection(envelope: GenerateEnvelope, context: CheckContext): Rejection | undefined {
  return (
    checkModelAvailable(envelope.model, context) ??
    checkThinkingLevel(envelope.request) ??
    checkImageRequest(envelope, context) ??
    checkOutputCap(envelope, context) ??
    checkValidatedTools(envelope, context)
  );
}

function quotaExhausted(runtime: FakeRuntime, model: string, quota: ModelQuota): Rejection {
  const seconds = Math.max(0, (Date.parse(quota.resetTime) - runtime.now()) / 1000);
  const delay = formatGoogleDuration(seconds);
  return {
    rule: 'quota-exhausted',
    status: 429,
    body: scriptedGoogleError(
      {
        kind: 'error',
        status: 429,
        reason: 'QUOTA_EXHAUSTED',
        quotaResetDelay: delay,
        quotaResetTimeStamp: quota.resetTime,
        retryDelay: `${Math.ceil(seconds)}s`,
      },
      model,
    ),
  };
}

/**
 * The free quota of the model, then Google One AI credits when the request enables them: a spent quota is a 429
 * QUOTA_EXHAUSTED without credits, a paid success with enough credits, INSUFFICIENT_G1_CREDITS_BALANCE otherwise.
 */
function chargeQuota(runtime: FakeRuntime, exchange: Exchange, envelope: GenerateEnvelope): Rejection | undefined {
  const account = runtime.state.requireAccount(exchange.email!);
  const quota = account.quotas.get(envelope.model);
  if (quota === undefined || quota.remainingFraction === null || quota.remainingFraction > 0) return undefined;
  const credits = envelope.enabledCreditTypes;
  if (!Array.isArray(credits) || !credits.includes('GOOGLE_ONE_AI'))
    return quotaExhausted(runtime, envelope.model, quota);
  const balance = account.credits;
  if (balance === undefined || balance.amount < balance.minimumForUsage || balance.amount < balance.perRequest) {
    return { rule: 'insufficient-credits', status: 429, body: insufficientCreditsError(envelope.model) };
  }
  balance.amount -= balance.perRequest;
  exchange.call.rule = 'credits';
  return undefined;
}

/** Validation shared by both generate methods; answers the error and returns undefined when the call fails. */
function prepare(runtime: FakeRuntime, exchange: Exchange): GenerateEnvelope | undefined {
  const rules = runtime.settings.rules;
  const context: CheckContext = { rules, clientVersion: exchange.clientVersion, signer: runtime.signer };
  const tooOld = checkClientVersion(context);
  if (tooOld !== undefined) {
    sendRejection(exchange, tooOld);
    return undefined;
  }
  const checked = checkGenerateEnvelope(exchange.body, (model) => servesModel(model, rules));
  if (!checked.ok) {
    sendBody(exchange, checked.status, googleError(checked.status, checked.message));
    return undefined;
  }
  const envelope = checked.value;
  const rejection = firstRejection(envelope, context);
  if (rejection !== undefined) {
    sendRejection(exchange, rejection);
    return undefined;
  }
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
  const late =
    checkClaudeToolHistory(envelope, context) ??
    checkPromptFilter(envelope.request, context) ??
    chargeQuota(runtime, exchange, envelope);
  if (late !== undefined) {
    sendRejection(exchange, late);
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
