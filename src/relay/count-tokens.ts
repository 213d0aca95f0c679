/** A `countTokens` call through the same attempt and rotation as generations (no envelope: the body as given). */
import { fromCountTokensResponse } from '../protocols/gemini/generate-request.ts';
import { type CallPlan, failed, runAttempt } from './attempt.ts';
import { type RelayFacts, recorderFor, recordingFailure } from './facts.ts';
import type { RelayServices } from './ports.ts';

export interface CountTokensRequest {
  /** The upstream model. */
  model: string;
  /** The v1internal countTokens body (`{request: …}`). */
  body: unknown;
  signal: AbortSignal;
  facts: RelayFacts;
}

export async function relayCountTokens(
  services: RelayServices,
  request: CountTokensRequest,
): Promise<{ totalTokens: number }> {
  const { signal } = request;
  const recorder = recorderFor(request.facts);
  const plan: CallPlan<{ totalTokens: number }> = {
    method: 'countTokens',
    model: request.model,
    body: () => request.body,
    read: async (answer) => {
      const text = await answer.text();
      try {
        return { ok: true, value: fromCountTokensResponse(JSON.parse(text)) };
      } catch {
        return failed({ kind: 'http', status: 200, headers: answer.headers, bodyText: text, committed: false });
      }
    },
  };
  return recordingFailure(recorder, signal, () =>
    services.pool.execute({ model: request.model, signal }, (lease) =>
      runAttempt(services, plan, lease, signal, recorder),
    ),
  );
}
