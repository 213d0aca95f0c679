/**
 * A collected (non-stream) generation: each attempt reads the whole upstream answer before anything is sent, so any
 * failure, a truncated answer included, can still rotate or get the thinking-free retry.
 */
import type { CanonicalEvent, CanonicalRequest } from '../protocols/canonical/types.ts';
import { runAttempt } from './attempt.ts';
import { executeRequestFor } from './execute-request.ts';
import { type RelayFacts, recorderFor, recordingFailure } from './facts.ts';
import { generationPlan } from './generation-plan.ts';
import type { RelayServices } from './ports.ts';
import { withRetryBeforeCommit } from './retry-before-commit.ts';

export interface CollectRequest {
  canonical: CanonicalRequest;
  signal: AbortSignal;
  facts: RelayFacts;
}

export interface CollectedAnswer {
  /** The whole answer as canonical events, ending with `finish`. */
  events: CanonicalEvent[];
  /** The upstream chunks it came from (Gemini's native answer is merged from these). */
  chunks: unknown[];
  /** The account that answered. */
  accountId: string;
}

/** Rejects with the failure when no attempt gave a complete answer. */
export async function relayCollect(services: RelayServices, request: CollectRequest): Promise<CollectedAnswer> {
  const { signal } = request;
  const recorder = recorderFor(request.facts);
  const answer = await recordingFailure(recorder, signal, () =>
    withRetryBeforeCommit(request.canonical, signal, (canonical) =>
      services.pool.execute(executeRequestFor(canonical, signal), (lease) =>
        runAttempt(services, generationPlan(canonical, 'end'), lease, signal, recorder),
      ),
    ),
  );
  for (const event of answer.events) if (event.type === 'usage') recorder.usage(event.usage);
  return { events: answer.events, chunks: answer.chunks, accountId: answer.accountId };
}
