/**
 * Editing a dotenv file (`KEY=value` lines) in place: each owned key gets exactly one line, at the place of its first
 * existing line (an `export KEY=` line included), or appended; comments and other keys stay as they are.
 */

import { GatewayError } from '../errors/catalogue.ts';

const plainValue = /^[A-Za-z0-9_./:@+-]*$/;

/**
 * dotenv (which Gemini CLI uses) takes single-quoted values literally and expands nothing but `\n` inside double
 * quotes; it has no escape for a quote. So: bare when safe, else single quotes, else double quotes, else refused.
 */
function quoted(value: string): string {
  if (plainValue.test(value)) return value;
  if (!/['\n\r]/.test(value)) return `'${value}'`;
  if (!/["\\\n\r]/.test(value)) return `"${value}"`;
  throw new GatewayError(
    'AGW_CONFIG_INVALID',
    `a value with both kinds of quote or a line break cannot be written to a .env file: ${JSON.stringify(value)}`,
  );
}

function keyOfLine(line: string): string | undefined {
  return /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=/.exec(line)?.[1];
}

/** Sets each key of `values` (in that order for appended keys); removes a key whose value is undefined. */
export function editEnvFile(
  text: string | undefined,
  values: ReadonlyArray<readonly [string, string | undefined]>,
): string {
  const lines = text === undefined || text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const wanted = new Map(values);
  const written = new Set<string>();
  const result: string[] = [];
  for (const line of lines) {
    const key = keyOfLine(line);
    if (key === undefined || !wanted.has(key)) {
      result.push(line);
      continue;
    }
    const value = wanted.get(key);
    if (value === undefined || written.has(key)) continue; // removed, or a duplicate of a line already written
    result.push(`${key}=${quoted(value)}`);
    written.add(key);
  }
  for (const [key, value] of values) {
    if (value !== undefined && !written.has(key)) result.push(`${key}=${quoted(value)}`);
  }
  return result.length === 0 ? '' : `${result.join('\n')}\n`;
}

/** The value of `key` in a dotenv text (last line wins, as dotenv reads it), unquoted; for tests and status. */
export function readEnvValue(text: string, key: string): string | undefined {
  let found: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (keyOfLine(line) !== key) continue;
    const raw = line.slice(line.indexOf('=') + 1).trim();
    found = /^(["']).*\1$/.test(raw) ? raw.slice(1, -1) : raw;
  }
  return found;
}
