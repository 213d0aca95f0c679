/**
 * Two code shapes that V8 (Node 24) keeps alive through young-generation GCs until the next full one, measured on
 * the generation path (docs/performance.md, "What kept finished requests"): made per request, each kept the request
 * it belonged to, so every scavenge promoted ~4.7 KB per finished request and paused 10-25 ms.
 *
 * - An object literal with a `get`/`set` accessor, made inside a function: each one gets a hidden class of its own,
 *   hidden classes live in the old generation, and they keep the accessor's closure (the whole enclosing scope).
 *   A class with the same getter on its prototype does not.
 * - An object passed to `addEventListener` (a `handleEvent` listener): Node wraps it in a closure that stays
 *   reachable the same way. A function listener does not.
 *
 * The static checks keep both shapes out of src/ (factories made once per process are listed below); the measured
 * ones run the real call path in a child with `--expose-gc` (retention-probe.ts) and check that 2,000 finished calls
 * leave nothing behind after three young-generation GCs, next to a control that uses an object listener.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sourceFiles } from '../support/source-files.ts';

const sourceRoot = fileURLToPath(new URL('../../src/', import.meta.url));
const probe = fileURLToPath(new URL('./retention-probe.ts', import.meta.url));

/**
 * Accessor literals in factories that run once per gateway (or per store), never per request: the hidden class
 * they get is one object's, not one per request's.
 */
const madeOncePerProcess = new Set([
  'pool/pool.ts',
  'telemetry/log-files.ts',
  'telemetry/event-bus.ts',
  'telemetry/redaction.ts',
  'store/redis/connection.ts',
  'keys/key-registry.ts',
]);

/** `get name(` / `set name(` at the start of a line (a class member or an object literal's accessor). */
const accessorPattern = /^(\s*)(?:static\s+)?(?:get|set)\s+[\w$#]+\s*\(/;
/** addEventListener given `this`, an object literal or a new object as its listener. */
const objectListenerPattern = /\.addEventListener\(\s*[^,]+,\s*(?:this\s*[,)]|\{|new\s)/;

/**
 * Lines (1-based) of accessor literals made inside a function and of object listeners given to addEventListener.
 * Line-based, relying on the formatter's layout (as generators.test.ts does): an accessor belongs to the nearest
 * line above it that is indented less; that line opens a class (fine), a module-level literal (no indentation,
 * made once: fine) or a literal inside a function (reported).
 */
export function youngGarbageShapes(text: string): { accessors: number[]; objectListeners: number[] } {
  const lines = text.split('\n');
  const accessors: number[] = [];
  const objectListeners: number[] = [];
  lines.forEach((line, index) => {
    if (objectListenerPattern.test(line)) objectListeners.push(index + 1);
    const accessor = accessorPattern.exec(line);
    if (accessor === null) return;
    const indentation = accessor[1]!.length;
    for (let above = index - 1; above >= 0; above -= 1) {
      const opener = lines[above]!;
      if (opener.trim() === '') continue;
      const openerIndentation = opener.length - opener.trimStart().length;
      if (openerIndentation >= indentation) continue;
      const isClass = /\bclass\b/.test(opener);
      const isModuleLiteral = openerIndentation === 0 && !/\bfunction\b|=>/.test(opener);
      if (!isClass && !isModuleLiteral) accessors.push(index + 1);
      return;
    }
  });
  return { accessors, objectListeners };
}

test('the detector finds accessor literals in functions and object listeners, and nothing else', () => {
  const found = youngGarbageShapes(
    [
      'export const once = {',
      '  get size() {',
      '    return 1;',
      '  },',
      '};',
      'function make() {',
      '  return {',
      '    get size() {',
      '      return 1;',
      '    },',
      '  };',
      '}',
      'class Kept {',
      '  get size(): number {',
      '    return 1;',
      '  }',
      '}',
      'signal.addEventListener("abort", this, { once: true });',
      'signal.addEventListener("abort", () => undefined);',
      'signal.addEventListener("abort", this.#onAbort, { once: true });',
      "signal.addEventListener('abort', { handleEvent() {} });",
      'const f = () => ({',
      '  set value(v) {},',
      '});',
    ].join('\n'),
  );
  assert.deepEqual(found, { accessors: [8, 23], objectListeners: [18, 21] });
});

test('no accessor literal is made per call and no object listener is added anywhere in src/', async () => {
  const offenders: string[] = [];
  for (const path of await sourceFiles(sourceRoot)) {
    const name = relative(sourceRoot, path);
    const { accessors, objectListeners } = youngGarbageShapes(await readFile(path, 'utf8'));
    if (!madeOncePerProcess.has(name)) offenders.push(...accessors.map((line) => `${name}:${line} accessor literal`));
    offenders.push(...objectListeners.map((line) => `${name}:${line} object listener`));
  }
  assert.deepEqual(offenders, [], 'use a class (prototype getters) and function listeners instead');
});

async function gainedBytes(kind: string): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', probe, kind], {
    timeout: 60_000,
  });
  return (JSON.parse(stdout) as { gainedBytes: number }).gainedBytes;
}

/** 2,000 calls that each kept their 1.6 KB "request" would leave over 3 MB; finished calls should leave ~nothing. */
const keptLimitBytes = 1_000_000;

test('finished call deadlines and dispatched calls are collected by young-generation GCs', async () => {
  // The control shows the probe can see a kept call at all (an object listener is kept, as measured in agw).
  assert.ok((await gainedBytes('object-listener')) > 3 * keptLimitBytes, 'the probe sees an object listener kept');
  assert.ok((await gainedBytes('deadline')) < keptLimitBytes, 'call deadlines are not kept');
  assert.ok((await gainedBytes('dispatch')) < keptLimitBytes, 'dispatched calls are not kept');
});
