/**
 * Parsing of JSON files that other tools (and crashes) may have damaged. Error texts never quote file content,
 * because account files hold tokens and Node's JSON.parse messages include a snippet of the input.
 */
import type { z } from 'zod';

/** Strips a UTF-8 BOM and then any leading NUL bytes (seen after crashes on some filesystems); decodes lossily. */
export function sanitizeJsonBytes(bytes: Uint8Array): string {
  let start = 0;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  while (start < bytes.length && bytes[start] === 0) start += 1;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, bytes.length - start).toString('utf8');
}

export type ParseOutcome<T> = { ok: true; value: T } | { ok: false; message: string };

/** Parses JSON text without letting any of the text into the error message. */
export function parseJsonText(text: string): ParseOutcome<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const position = /position (\d+)/.exec(String(error))?.[1];
    return { ok: false, message: position === undefined ? 'not valid JSON' : `not valid JSON (at byte ${position})` };
  }
}

/** Parses and validates; the message lists the failing field paths, never their values. */
export function parseWithSchema<S extends z.ZodType>(text: string, schema: S): ParseOutcome<z.output<S>> {
  const parsed = parseJsonText(text);
  if (!parsed.ok) return parsed;
  const result = schema.safeParse(parsed.value);
  if (result.success) return { ok: true, value: result.data };
  const issues = result.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length === 0 ? '(root)' : issue.path.join('.')}: ${issue.message}`);
  return { ok: false, message: `does not match the expected format: ${issues.join('; ')}` };
}
