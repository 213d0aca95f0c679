/**
 * User keys as secrets: how one is made, how it is stored, and how it is shown after creation.
 *
 * A key is 32 random bytes (256 bits) in base64url behind `sk-agw-`. The `sk-` prefix is what OpenAI-style clients
 * expect, and the log scrubber (telemetry/redaction.ts) already removes anything shaped `sk-…`, so a key pasted
 * into a model name or an error never leaves in a log line.
 *
 * Only SHA-256 of the key is stored. A slow password hash (scrypt, argon2) exists to make guessing a low-entropy
 * password expensive; a 256-bit random key cannot be guessed or looked up in a table whatever the hash costs, and
 * a fast hash keeps the check a microsecond on every request. Looking the hash up in a Map is not constant-time,
 * but it leaks only which hash prefixes exist, which tells a guesser nothing about any key.
 */
import { createHash, randomBytes } from 'node:crypto';

export const userKeyPrefix = 'sk-agw-';

export function generateUserKey(): string {
  return `${userKeyPrefix}${randomBytes(32).toString('base64url')}`;
}

export function hashUserKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** What lists show instead of the key: its last four characters, enough to tell keys apart, useless to guess. */
export function keyHint(key: string): string {
  return `${userKeyPrefix}…${key.slice(-4)}`;
}

/** A short random id that names the key in lists, the request log and URLs (never the key itself). */
export function generateKeyId(): string {
  return `key_${randomBytes(6).toString('hex')}`;
}
