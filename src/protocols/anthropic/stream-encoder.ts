/**
 * Canonical events → Anthropic SSE frames (`event: <type>\ndata: <json>\n\n`), for `stream: true` requests.
 */
import type { CanonicalEvent } from '../canonical/types.ts';
import {
  type AnthropicStreamEvent,
  createMessagesEventEncoder,
  type MessagesEncoderOptions,
  type MessagesEventEncoder,
} from './event-encoder.ts';

export interface MessagesStreamEncoder {
  /** Frames for one canonical event (often none, sometimes several). */
  push(event: CanonicalEvent): string[];
  /** Closing frames when the upstream ended; reports a truncated upstream as an `error` event. */
  end(): string[];
  /** A keep-alive frame for long silent phases (e.g. thinking); Anthropic clients know the `ping` event. */
  ping(): string;
  /** True once the final frame (message_stop or error) was produced; the server then ends the response. */
  readonly done: boolean;
}

/** Serialises one Anthropic stream event as an SSE frame. */
export function sseFrame(event: AnthropicStreamEvent | { type: 'ping' }): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** The SSE encoder of one answer: a class, so `done` is a prototype getter (test/source/young-garbage.test.ts). */
class MessagesSseEncoder implements MessagesStreamEncoder {
  readonly #events: MessagesEventEncoder;

  constructor(options: MessagesEncoderOptions) {
    this.#events = createMessagesEventEncoder(options);
  }

  push(event: CanonicalEvent): string[] {
    return this.#events.push(event).map(sseFrame);
  }

  end(): string[] {
    return this.#events.end().map(sseFrame);
  }

  ping(): string {
    return sseFrame({ type: 'ping' });
  }

  get done(): boolean {
    return this.#events.done;
  }
}

/** Creates the SSE encoder for one answer. */
export function createMessagesStreamEncoder(options: MessagesEncoderOptions): MessagesStreamEncoder {
  return new MessagesSseEncoder(options);
}
