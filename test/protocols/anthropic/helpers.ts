import { readFileSync } from 'node:fs';
import type { MessagesEncoderOptions } from '../../../src/protocols/anthropic/event-encoder.ts';
import { createSignatureStore, type SignatureStore } from '../../../src/protocols/anthropic/signature-store.ts';
import type { CanonicalEvent } from '../../../src/protocols/canonical/types.ts';

export const fixtureNames = ['text', 'thinking-signature', 'tool-use', 'max-tokens', 'truncated', 'error'] as const;

export function fixturePath(name: string): URL {
  return new URL(`../../fixtures/anthropic/${name}`, import.meta.url);
}

export function loadEvents(name: string): CanonicalEvent[] {
  return JSON.parse(readFileSync(fixturePath(`${name}.json`), 'utf8')) as CanonicalEvent[];
}

export function newStore(now: () => number = () => 0): SignatureStore {
  return createSignatureStore({ maxEntries: 100, ttlMs: 60_000, now });
}

/** Encoder options used for the golden files (Gemini family for the Gemini fixtures). */
export function goldenOptions(name: string, store: SignatureStore = newStore()): MessagesEncoderOptions {
  return {
    messageId: `msg_${name}`,
    clientModel: 'claude-sonnet-4-5',
    signatureStore: store,
    sessionKey: 's',
    accountId: 'a',
    family: name === 'tool-use' || name === 'max-tokens' ? 'gemini' : 'claude',
  };
}

/** Splits SSE text into `{event, data}` records, failing on anything that is not a well-formed frame. */
export function parseSse(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  if (text === '') return [];
  if (!text.endsWith('\n\n')) throw new Error('SSE text must end with a blank line');
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((frame) => {
      const lines = frame.split('\n');
      if (lines.length !== 2) throw new Error(`frame must have an event and a data line: ${frame}`);
      const [eventLine = '', dataLine = ''] = lines;
      if (!eventLine.startsWith('event: ') || !dataLine.startsWith('data: ')) throw new Error(`bad frame: ${frame}`);
      return { event: eventLine.slice(7), data: JSON.parse(dataLine.slice(6)) as Record<string, unknown> };
    });
}
