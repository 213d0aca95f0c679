/**
 * What a Responses `reasoning` item carries in `encrypted_content`: the upstream's thought signature and the model
 * family that issued it. Clients send reasoning items back untouched, so a Claude thinking block can be replayed with
 * its signature on the next turn (Claude refuses tool turns whose thinking lost its signature), and a signature is
 * never sent to a family that did not issue it.
 */
import type { ModelFamily } from '../models.ts';

const marker = 'agw.reasoning.v1.';

export function encodeReasoning(family: ModelFamily, signature: string): string {
  return `${marker}${family}.${signature}`;
}

/** The family and signature in `encrypted_content`, or undefined when agw did not write it. */
export function decodeReasoning(content: string | null | undefined): { family: string; signature: string } | undefined {
  if (typeof content !== 'string' || !content.startsWith(marker)) return undefined;
  const rest = content.slice(marker.length);
  const dot = rest.indexOf('.');
  if (dot <= 0 || dot === rest.length - 1) return undefined;
  return { family: rest.slice(0, dot), signature: rest.slice(dot + 1) };
}
