/**
 * Thought signatures: opaque to clients, verifiable by the fake. A signature is base64 of
 * `tag(16 bytes) ‖ HMAC(secret, tag)(32 bytes)`, where the tag is a hash of the content it was issued for. The fake
 * can then recognise its own signatures without remembering them, the way Google validates signatures it issued,
 * and a client that invents or corrupts one is caught.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const tagBytes = 16;
const macBytes = 32;

export interface SignatureAuthority {
  issue(content: string): string;
  verify(signature: string): boolean;
}

/** Creates a signer bound to one secret (per fake instance, so signatures do not carry across instances). */
export function createSignatureAuthority(secret: string): SignatureAuthority {
  const mac = (tag: Buffer): Buffer => createHmac('sha256', secret).update(tag).digest();
  return {
    issue(content) {
      const tag = createHash('sha256').update(content).digest().subarray(0, tagBytes);
      return Buffer.concat([tag, mac(tag)]).toString('base64');
    },
    verify(signature) {
      if (typeof signature !== 'string' || signature.length < 60) return false;
      const raw = Buffer.from(signature, 'base64');
      if (raw.length !== tagBytes + macBytes) return false;
      const expected = mac(raw.subarray(0, tagBytes));
      return timingSafeEqual(expected, raw.subarray(tagBytes));
    },
  };
}

/** The value Google documents for skipping the Gemini function-call signature check. */
export const skipSignatureSentinel = 'skip_thought_signature_validator';
