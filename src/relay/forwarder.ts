/**
 * The two explicit forwarding paths of a committed stream behind one shape: canonical events through the dialect's
 * encoder, or the upstream chunks themselves (Gemini pass-through), whose only own frame is the in-band error.
 */
import type { CanonicalEvent } from '../protocols/canonical/types.ts';
import type { StreamOutput } from './encoders.ts';

export interface Forwarder {
  /** Frames for the events decoded from `chunks` (no chunks: events the decoder made up, e.g. a truncation). */
  frames(events: readonly CanonicalEvent[], chunks: readonly unknown[]): string[];
  end(): string[];
}

export function forwarderFor(output: StreamOutput, accountId: string): Forwarder {
  if (output.kind === 'events') {
    const encoder = output.createEncoder(accountId);
    return { frames: (events) => events.flatMap((event) => encoder.push(event)), end: () => encoder.end() };
  }
  const encoder = output.createEncoder();
  return {
    frames(events, chunks) {
      const failure = events.find((event) => event.type === 'error');
      // An error chunk is not forwarded as Google wrote it: the client gets the dialect's error frame.
      if (failure !== undefined) return encoder.fail(failure.code, failure.message);
      return chunks.flatMap((chunk) => encoder.pushChunk(chunk));
    },
    end: () => encoder.end(),
  };
}
