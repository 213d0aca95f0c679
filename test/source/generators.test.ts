/**
 * Generator functions are declared at module level. One declared inside another function is a new function per
 * call, and V8 gives each its own prototype and hidden class in the old generation, which keeps the function and its
 * whole enclosing scope (on the generation path: the response, the call and the request behind it) alive through
 * every young-generation GC until the next full one (src/upstream/transport.ts, docs/performance.md).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sourceFiles } from '../support/source-files.ts';

const sourceRoot = fileURLToPath(new URL('../../src/', import.meta.url));

/** `function*` / `async function*` expressions and declarations, and `*name(` / `async *[key](` methods. */
const generatorPattern = /\bfunction\s*\*|(?:^\s*|[{,]\s*)(?:async\s+)?\*\s*(?:\[[^\]]+\]|[A-Za-z_$][\w$]*)\s*\(/;

/** The generators that are not declared at the start of a line (module level, as the formatter lays code out). */
function nestedGenerators(text: string): number[] {
  const lines = text.split('\n');
  const found: number[] = [];
  let inComment = false;
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed.startsWith('/*')) inComment = true;
    // A comment line; a generator method line starts with `*name(` or `*[key](`, a doc-comment line with `* `.
    const skip = inComment || trimmed.startsWith('//') || /^\*(\s|\/|$)/.test(trimmed);
    if (trimmed.includes('*/')) inComment = false;
    if (skip || !generatorPattern.test(line)) return;
    if (/^(export\s+)?(async\s+)?function\s*\*/.test(line)) return;
    found.push(index + 1);
  });
  return found;
}

test('the pattern tells a module-level generator from a nested one', () => {
  assert.deepEqual(nestedGenerators('export async function* read(body) {\n  yield 1;\n}\n'), []);
  assert.deepEqual(nestedGenerators('function* all() {}\n'), []);
  assert.deepEqual(nestedGenerators('function wrap() {\n  async function* iterate() {}\n}\n'), [2]);
  assert.deepEqual(nestedGenerators('const body = {\n  async *[Symbol.asyncIterator]() {},\n};\n'), [2]);
  assert.deepEqual(nestedGenerators('const f = () => ({ *items() {} });\n'), [1]);
  assert.deepEqual(nestedGenerators('const x = a * b(c);\n// function* inComment\n'), []);
  assert.deepEqual(nestedGenerators('class Reader {\n  *[Symbol.iterator]() {}\n}\n/**\n * doc\n */\n'), [2]);
});

test('no generator function in src/ is declared inside another function or an object literal', async () => {
  const offenders: string[] = [];
  for (const file of await sourceFiles(sourceRoot)) {
    for (const line of nestedGenerators(await readFile(file, 'utf8'))) {
      offenders.push(`${relative(sourceRoot, file)}:${line}`);
    }
  }
  assert.deepEqual(offenders, [], 'declare these generators at module level and pass their state as arguments');
});
