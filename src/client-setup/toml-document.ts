/**
 * Editing Codex's config.toml in place, line by line, so comments and the user's other tables survive: root keys
 * are replaced where they stand (or added before the first table), and one table the writer owns is replaced as a
 * whole (or appended). The file is parsed before (a malformed file is refused) and after (the result must be
 * valid TOML holding exactly the values written), so a layout this editor does not understand — say the owned
 * table written as an inline table or as dotted keys — is an error, never a corrupted file.
 */
import { parse, TomlError } from 'smol-toml';
import { GatewayError } from '../errors/catalogue.ts';

export type TomlScalar = string | number | boolean;

export interface TomlEdit {
  /** Root keys to set (`model_provider = "agw"`). */
  readonly rootKeys: ReadonlyArray<readonly [string, TomlScalar]>;
  /** The dotted name of the owned table, e.g. `model_providers.agw`, and its keys. */
  readonly table: string;
  readonly tableKeys: ReadonlyArray<readonly [string, TomlScalar]>;
}

function invalid(path: string, problem: string): GatewayError {
  return new GatewayError(
    'AGW_CONFIG_INVALID',
    `${path}: ${problem}; fix the file or move it away, then run setup again`,
  );
}

/** Parses TOML or throws naming the file and the line. */
export function parseToml(path: string, text: string): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError)
      throw invalid(
        path,
        `not valid TOML (line ${error.line}, column ${error.column}: ${error.message.split('\n')[0]})`,
      );
    throw error;
  }
}

/** A TOML basic string: JSON's escapes are a subset TOML accepts. */
function render(value: TomlScalar): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

const headerPattern = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$/;

function headerName(line: string): string | undefined {
  const name = headerPattern.exec(line)?.[1];
  // Normalise `"model_providers" . agw` spellings down to plain dotted names for comparison.
  return name
    ?.split('.')
    .map((part) => part.trim().replace(/^"(.*)"$/, '$1'))
    .join('.');
}

function rootKeyOf(line: string): string | undefined {
  return /^\s*"?([A-Za-z0-9_-]+)"?\s*=/.exec(line)?.[1];
}

function readPath(object: Record<string, unknown>, dotted: string): unknown {
  let current: unknown = object;
  for (const part of dotted.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

export function editToml(path: string, text: string | undefined, edit: TomlEdit): string {
  const original = text ?? '';
  parseToml(path, original);
  const lines = original === '' ? [] : original.replace(/\r?\n$/, '').split(/\r?\n/);
  const firstHeader = lines.findIndex((line) => headerName(line) !== undefined);
  const rootEnd = firstHeader < 0 ? lines.length : firstHeader;
  const wantedRoot = new Map(edit.rootKeys);
  const root: string[] = [];
  const placed = new Set<string>();
  for (const line of lines.slice(0, rootEnd)) {
    const key = rootKeyOf(line);
    if (key === undefined || !wantedRoot.has(key)) {
      root.push(line);
    } else if (!placed.has(key)) {
      root.push(`${key} = ${render(wantedRoot.get(key)!)}`);
      placed.add(key);
    }
  }
  const missing = edit.rootKeys.filter(([key]) => !placed.has(key)).map(([key, value]) => `${key} = ${render(value)}`);
  // New root keys go after the existing ones, before any blank lines that separate them from the first table.
  let insertAt = root.length;
  while (insertAt > 0 && root[insertAt - 1]!.trim() === '') insertAt -= 1;
  root.splice(insertAt, 0, ...missing);

  // Tables: drop the owned table and its sub-tables wherever they are; keep everything else in order.
  const tables: string[] = [];
  let dropping = false;
  for (const line of lines.slice(rootEnd)) {
    const name = headerName(line);
    if (name !== undefined) dropping = name === edit.table || name.startsWith(`${edit.table}.`);
    if (!dropping) tables.push(line);
  }
  while (tables.length > 0 && tables.at(-1)!.trim() === '') tables.pop();
  const owned = [`[${edit.table}]`, ...edit.tableKeys.map(([key, value]) => `${key} = ${render(value)}`)];
  const body = [...root, ...(tables.length > 0 ? ['', ...tables] : [])];
  while (body.length > 0 && body.at(-1)!.trim() === '') body.pop();
  const result = `${[...body, ...(body.length > 0 ? [''] : []), ...owned].join('\n')}\n`;

  // The result must parse and hold exactly what was written; otherwise the layout was one this editor cannot edit.
  let parsed: Record<string, unknown>;
  try {
    parsed = parse(result) as Record<string, unknown>;
  } catch {
    throw invalid(
      path,
      `"${edit.table}" or a root key is written in a form this tool cannot edit (an inline table or dotted keys)`,
    );
  }
  const expected: Array<[string, TomlScalar]> = [
    ...edit.rootKeys.map(([key, value]): [string, TomlScalar] => [key, value]),
    ...edit.tableKeys.map(([key, value]): [string, TomlScalar] => [`${edit.table}.${key}`, value]),
  ];
  for (const [key, value] of expected) {
    if (readPath(parsed, key) !== value) {
      throw invalid(
        path,
        `"${key}" is set in a form this tool cannot edit (an inline table, dotted keys or a multi-line value)`,
      );
    }
  }
  return result;
}
