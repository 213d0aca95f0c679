import { readFileSync } from 'node:fs';
import type { CanonicalEvent } from '../../../src/protocols/canonical/types.ts';
import { createUpstreamDecoder } from '../../../src/protocols/canonical/upstream-decoder.ts';
import { parseJsonData, parseSse } from '../../../src/upstream/sse-reader.ts';

export const fixtureNames = [
  'text-only',
  'thinking-signature',
  'tool-call',
  'usage-snake',
  'truncated-no-finish',
  'error-body-200',
  'safety',
] as const;

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../../fixtures/upstream/${name}.sse`, import.meta.url)));
}

/** Splits bytes at the given offsets (sorted, deduplicated, in range). */
export function splitAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(offsets.filter((offset) => offset > 0 && offset < bytes.length))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of cuts) {
    pieces.push(bytes.slice(start, cut));
    start = cut;
  }
  pieces.push(bytes.slice(start));
  return pieces;
}

async function* fromArray<T>(items: readonly T[]): AsyncIterable<T> {
  for (const item of items) yield item;
}

/** Full upstream path: bytes → SSE frames → JSON → decoder → events (including `end()`). */
export async function decodeChunks(chunks: readonly Uint8Array[]): Promise<CanonicalEvent[]> {
  const decoder = createUpstreamDecoder();
  const events: CanonicalEvent[] = [];
  for await (const frame of parseSse(fromArray(chunks))) {
    const json = parseJsonData(frame);
    if (json !== undefined) events.push(...decoder.push(json));
  }
  events.push(...decoder.end());
  return events;
}

export function decodeFixture(name: string): Promise<CanonicalEvent[]> {
  return decodeChunks([fixtureBytes(name)]);
}
