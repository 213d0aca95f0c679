/**
 * Editing a client's JSON settings file in place: only the named keys change; every other byte (order, comments
 * in JSONC files, indentation of untouched parts) stays as the user left it. jsonc-parser computes the minimal
 * edits. A file that does not parse, or whose shape leaves no place for a key, is refused with a clear error and
 * never rewritten (the reference replaced such a file with `{}`).
 */
import { applyEdits, modify, type Node, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import { GatewayError } from '../errors/catalogue.ts';

export type JsonDialect =
  /** Plain JSON: comments and trailing commas are errors (the client parses with JSON.parse). */
  | 'json'
  /** JSON with comments and trailing commas (the client strips them). */
  | 'jsonc';

export interface JsonEdit {
  /** Property names from the root, e.g. ['env', 'ANTHROPIC_BASE_URL']. */
  readonly path: readonly string[];
  /** The new value; undefined removes the property. */
  readonly value: unknown;
}

const formatting = { insertSpaces: true, tabSize: 2, eol: '\n' } as const;

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

function invalid(path: string, problem: string): GatewayError {
  return new GatewayError(
    'AGW_CONFIG_INVALID',
    `${path}: ${problem}; fix the file or move it away, then run setup again`,
  );
}

/** Parses `text` as a JSON object (the root of every client settings file) or throws naming the file. */
export function parseJsonObject(path: string, text: string, dialect: JsonDialect): Node {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, {
    allowTrailingComma: dialect === 'jsonc',
    disallowComments: dialect === 'json',
    allowEmptyContent: false,
  });
  const first = errors[0];
  if (first !== undefined) {
    throw invalid(
      path,
      `not valid ${dialect === 'json' ? 'JSON' : 'JSON with comments'} (${printParseErrorCode(first.error)} at ${lineAndColumn(text, first.offset)})`,
    );
  }
  if (tree === undefined || tree.type !== 'object') throw invalid(path, 'the top level is not a JSON object');
  return tree;
}

function childOf(node: Node, name: string): Node | undefined {
  for (const property of node.children ?? []) {
    const [key, value] = property.children ?? [];
    if (key?.value === name) return value;
  }
  return undefined;
}

/**
 * Applies `edits` to the JSON object in `text` (undefined or blank text starts from `{}`). Every parent on an
 * edit's path must be an object or absent; anything else is an error naming the key.
 */
export function editJsonObject(
  path: string,
  text: string | undefined,
  dialect: JsonDialect,
  edits: readonly JsonEdit[],
): string {
  let current = text === undefined || text.trim() === '' ? '{}\n' : text;
  for (const edit of edits) {
    let node: Node | undefined = parseJsonObject(path, current, dialect);
    for (const [depth, segment] of edit.path.slice(0, -1).entries()) {
      node = childOf(node, segment);
      if (node === undefined) break;
      if (node.type !== 'object') {
        throw invalid(
          path,
          `"${edit.path.slice(0, depth + 1).join('.')}" is ${node.type === 'null' ? 'null' : `a ${node.type}`}, not an object`,
        );
      }
    }
    if (edit.value === undefined && node !== undefined && childOf(node, edit.path.at(-1)!) === undefined) continue;
    if (edit.value === undefined && node === undefined) continue;
    current = applyEdits(current, modify(current, [...edit.path], edit.value, { formattingOptions: formatting }));
  }
  return current.endsWith('\n') ? current : `${current}\n`;
}
