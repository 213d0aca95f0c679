/** The `streamGenerateContent` call of a generation: its envelope per account and how far an attempt reads. */
import { buildEnvelope } from '../protocols/canonical/envelope.ts';
import type { CanonicalRequest } from '../protocols/canonical/types.ts';
import { placeholderArguments } from '../protocols/canonical/validated-tools.ts';
import type { CallPlan } from './attempt.ts';
import { type ReadAnswer, type ReadUntil, readAnswer } from './read-answer.ts';

export interface AttemptAnswer extends ReadAnswer {
  /** The account that gave the answer (Anthropic remembers signatures per account). */
  accountId: string;
}

export function generationPlan(canonical: CanonicalRequest, until: ReadUntil): CallPlan<AttemptAnswer> {
  // The envelope adds these to the tools; the decoder takes them out of the calls the model returns.
  const placeholders = placeholderArguments(canonical.upstreamModel, canonical.request);
  return {
    // Always the streaming method, also for collected answers: one way to read answers, and a stalled
    // answer is noticed chunk by chunk instead of after the whole timeout.
    method: 'streamGenerateContent',
    query: 'alt=sse',
    model: canonical.upstreamModel,
    body: (lease) =>
      buildEnvelope({
        projectId: lease.projectId,
        model: canonical.upstreamModel,
        request: canonical.request,
        requestType: 'agent',
        sessionKey: canonical.sessionKey,
        messageCount: canonical.request.contents.length,
        accountId: lease.accountId,
      }),
    read: async (answer, lease) => {
      const result = await readAnswer(answer, until, { placeholders });
      return result.ok ? { ok: true, value: { ...result.value, accountId: lease.accountId } } : result;
    },
  };
}
