/**
 * One warm-up: a tiny real generation on one given account, through the same attempt as client requests (lease,
 * envelope, call, answer), so its failure is classified and has its usual effect on the account (a cooldown, a
 * forbidden mark, …). The pool is asked for that account alone, once: no rotation, no retry.
 */
import type { CanonicalRequest, CanonicalUsage } from '../protocols/canonical/types.ts';
import { isImageModel } from '../protocols/models.ts';
import { runAttempt } from './attempt.ts';
import { type RelayFacts, recorderFor, recordingFailure } from './facts.ts';
import { generationPlan } from './generation-plan.ts';
import type { RelayServices } from './ports.ts';

export interface WarmUpRequest {
  accountId: string;
  /** The upstream model, used as it is (no mapping). */
  model: string;
  maxOutputTokens: number;
  signal: AbortSignal;
  facts: RelayFacts;
}

/** The prompt: short, harmless, and answerable in a word. */
export const warmUpPrompt = 'Hi';

export function warmUpCanonical(accountId: string, model: string, maxOutputTokens: number): CanonicalRequest {
  return {
    protocol: 'gemini',
    clientModel: model,
    upstreamModel: model,
    stream: false,
    // Its own session per account, so a warm-up never binds a client conversation.
    sessionKey: `agw-warm-up-${accountId}`,
    request: {
      contents: [{ role: 'user', parts: [{ text: warmUpPrompt }] }],
      generationConfig: {
        maxOutputTokens,
        temperature: 0,
        // An image model answers in text here: a picture would cost far more than the window start is worth.
        ...(isImageModel(model) ? { responseModalities: ['TEXT'] } : {}),
      },
    },
    toolNames: [],
  };
}

/** Sends the warm-up; resolves with the usage Google reported, rejects with the classified failure. */
export async function relayWarmUp(
  services: RelayServices,
  request: WarmUpRequest,
): Promise<{ usage: CanonicalUsage | undefined }> {
  const { signal } = request;
  const recorder = recorderFor(request.facts);
  const canonical = warmUpCanonical(request.accountId, request.model, request.maxOutputTokens);
  const answer = await recordingFailure(recorder, signal, () =>
    services.pool.execute({ model: canonical.upstreamModel, accountId: request.accountId, signal }, (lease) =>
      runAttempt(services, generationPlan(canonical, 'end'), lease, signal, recorder),
    ),
  );
  let usage: CanonicalUsage | undefined;
  for (const event of answer.events) if (event.type === 'usage') usage = event.usage;
  if (usage !== undefined) recorder.usage(usage);
  return { usage };
}
