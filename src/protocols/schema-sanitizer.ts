/**
 * JSON-schema sanitising for Gemini function declarations (upstream-and-protocols.md §12) and the reverse
 * type fixing of tool-call arguments (§12.1).
 *
 * v1internal accepts only a small subset of JSON Schema. The cleaner resolves references, merges `allOf`,
 * picks the best `anyOf`/`oneOf` branch, folds validation constraints into the description (so the model
 * still sees them) and keeps only whitelisted keys. Unlike the reference it never leaves a deep node
 * uncleaned: past `maxDepth` a node is replaced by a permissive, valid stub.
 */

type JsonObject = Record<string, unknown>;

const allowedKeys = new Set(['type', 'description', 'properties', 'required', 'items', 'enum', 'title']);

/** Deep enough for any real tool schema; anything deeper is pathological and is cut, not rejected. */
const maxDepth = 64;

/** Bounded $ref expansion chain: a longer chain is a cycle in all but name. */
const maxRefChain = 32;

const constraintLabels: ReadonlyArray<readonly [string, string]> = [
  ['minLength', 'minLen'],
  ['maxLength', 'maxLen'],
  ['pattern', 'pattern'],
  ['minimum', 'min'],
  ['maximum', 'max'],
  ['multipleOf', 'multipleOf'],
  ['exclusiveMinimum', 'exclMin'],
  ['exclusiveMaximum', 'exclMax'],
  ['minItems', 'minItems'],
  ['maxItems', 'maxItems'],
  ['format', 'format'],
];

const schemaKeywords = new Set([
  '$ref',
  '$defs',
  'definitions',
  '$schema',
  '$id',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'nullable',
  'default',
  'const',
  'examples',
  'additionalProperties',
  'patternProperties',
  'propertyNames',
  ...constraintLabels.map(([key]) => key),
  ...allowedKeys,
]);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function appendDescription(node: JsonObject, addition: string): void {
  const current = typeof node['description'] === 'string' ? node['description'] : '';
  node['description'] = current === '' ? addition : `${current} ${addition}`;
}

/** Collects `$defs`/`definitions` from every level, first definition of a name wins. */
function collectDefinitions(schema: unknown): Map<string, JsonObject> {
  const definitions = new Map<string, JsonObject>();
  const stack: Array<{ value: unknown; depth: number }> = [{ value: schema, depth: 0 }];
  let visits = 0;
  while (stack.length > 0 && visits < 100_000) {
    visits += 1;
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (depth > maxDepth) continue;
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    if (!isObject(value)) continue;
    for (const key of ['$defs', 'definitions']) {
      const group = value[key];
      if (!isObject(group)) continue;
      for (const [name, definition] of Object.entries(group)) {
        if (isObject(definition) && !definitions.has(name)) definitions.set(name, definition);
      }
    }
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1 });
  }
  return definitions;
}

function typeNames(node: JsonObject): string[] {
  const type = node['type'];
  if (typeof type === 'string') return [type.toLowerCase()];
  if (Array.isArray(type))
    return type.filter((entry): entry is string => typeof entry === 'string').map((t) => t.toLowerCase());
  return [];
}

function branchScore(branch: JsonObject): number {
  const types = typeNames(branch);
  if (types.includes('object') || isObject(branch['properties'])) return 3;
  if (types.includes('array') || branch['items'] !== undefined) return 2;
  if (types.length > 0 && types.every((type) => type === 'null')) return 0;
  return 1;
}

function isNullBranch(branch: unknown): boolean {
  if (!isObject(branch)) return false;
  const types = typeNames(branch);
  return types.length > 0 && types.every((type) => type === 'null');
}

interface CleanContext {
  definitions: Map<string, JsonObject>;
}

/** Merges `source` keys into `target`: properties and required are unioned, other keys only if absent. */
function mergeInto(target: JsonObject, source: JsonObject): void {
  for (const [key, value] of Object.entries(source)) {
    if (key === 'properties' && isObject(value)) {
      const properties = isObject(target['properties']) ? { ...target['properties'] } : {};
      for (const [name, property] of Object.entries(value)) if (!(name in properties)) properties[name] = property;
      target['properties'] = properties;
    } else if (key === 'required' && Array.isArray(value)) {
      const required = Array.isArray(target['required']) ? [...target['required']] : [];
      for (const name of value) if (!required.includes(name)) required.push(name);
      target['required'] = required;
    } else if (!(key in target)) {
      target[key] = value;
    }
  }
}

function resolveReferences(node: JsonObject, context: CleanContext, chain: string[]): JsonObject {
  let current = node;
  while (typeof current['$ref'] === 'string') {
    const reference = current['$ref'];
    const name = reference.split('/').at(-1) ?? reference;
    const { $ref: _dropped, ...rest } = current;
    const definition = context.definitions.get(name);
    if (definition === undefined) {
      current = { ...rest, type: rest['type'] ?? 'string' };
      appendDescription(current, `(Unresolved $ref: ${reference})`);
      break;
    }
    if (chain.includes(name) || chain.length >= maxRefChain) {
      // A recursive schema cannot be inlined; the model gets an open object with a hint instead.
      current = { ...rest, type: 'object' };
      appendDescription(current, `(Recursive $ref: ${reference})`);
      break;
    }
    chain.push(name);
    const merged: JsonObject = { ...rest };
    mergeInto(merged, definition);
    current = merged;
  }
  return current;
}

function stub(depthExceeded: boolean): JsonObject {
  return depthExceeded
    ? { type: 'object', description: '(Schema truncated: nested too deeply)', properties: {} }
    : { type: 'object', properties: {} };
}

function looksLikeShorthand(node: JsonObject): boolean {
  const keys = Object.keys(node);
  return keys.length > 0 && keys.every((key) => !schemaKeywords.has(key) && isObject(node[key]));
}

function cleanNode(input: JsonObject, depth: number, context: CleanContext, chain: string[]): JsonObject {
  if (depth > maxDepth) return stub(true);
  const ownChain = [...chain];
  let node = resolveReferences({ ...input }, context, ownChain);
  delete node['$defs'];
  delete node['definitions'];

  if (looksLikeShorthand(node)) node = { type: 'object', properties: node };

  let nullable = node['nullable'] === true;

  if (Array.isArray(node['allOf'])) {
    const branches = node['allOf'].filter(isObject).map((branch) => cleanNode(branch, depth + 1, context, ownChain));
    delete node['allOf'];
    for (const branch of branches) mergeInto(node, branch);
  }

  for (const key of ['anyOf', 'oneOf'] as const) {
    const raw = node[key];
    if (!Array.isArray(raw)) continue;
    delete node[key];
    if (raw.some(isNullBranch)) nullable = true;
    const branches = raw
      .filter((branch): branch is JsonObject => isObject(branch) && !isNullBranch(branch))
      .map((branch) => cleanNode(branch, depth + 1, context, ownChain));
    if (branches.length === 0) continue;
    let best = branches[0] as JsonObject;
    for (const branch of branches) if (branchScore(branch) > branchScore(best)) best = branch;
    const seenTypes = [...new Set(branches.flatMap(typeNames))];
    mergeInto(node, best);
    if (seenTypes.length > 1) appendDescription(node, `Accepts: ${seenTypes.join(' | ')}`);
  }

  const output: JsonObject = {};
  if (typeof node['title'] === 'string') output['title'] = node['title'];
  if (typeof node['description'] === 'string' && node['description'] !== '') {
    output['description'] = node['description'];
  }

  let types = typeNames(node);
  if (types.includes('null')) {
    nullable = true;
    types = types.filter((type) => type !== 'null');
  }

  const objectLike = types[0] === 'object' || isObject(node['properties']);
  if (isObject(node['properties'])) {
    const properties: JsonObject = {};
    const dropped = new Set<string>();
    const nullableChildren = new Set<string>();
    for (const [name, child] of Object.entries(node['properties'])) {
      if (!isObject(child)) {
        dropped.add(name);
        continue;
      }
      const cleaned = cleanNode(child, depth + 1, context, ownChain);
      if (typeof cleaned['description'] === 'string' && cleaned['description'].endsWith('(nullable)')) {
        nullableChildren.add(name);
      }
      properties[name] = cleaned;
    }
    output['properties'] = properties;
    if (Array.isArray(node['required'])) {
      const required = node['required'].filter(
        (name): name is string =>
          typeof name === 'string' && name in properties && !dropped.has(name) && !nullableChildren.has(name),
      );
      const unique = [...new Set(required)];
      if (unique.length > 0) output['required'] = unique;
    }
  }

  if (!objectLike) {
    let items = node['items'];
    if (Array.isArray(items)) items = items.find(isObject);
    if (isObject(items)) output['items'] = cleanNode(items, depth + 1, context, ownChain);
  }

  let enumValues: string[] | undefined;
  if (Array.isArray(node['enum'])) {
    enumValues = node['enum'].map((value) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null')));
  }

  let type = types[0];
  if (type === undefined) {
    if (typeNames(node).includes('null')) {
      type = output['properties'] !== undefined ? 'object' : output['items'] !== undefined ? 'array' : 'string';
    } else if (enumValues !== undefined) type = 'string';
    else if (output['properties'] !== undefined) type = 'object';
    else if (output['items'] !== undefined) type = 'array';
  }
  // v1internal accepts enums only on strings; values were stringified above.
  if (enumValues !== undefined) {
    output['enum'] = enumValues;
    type = 'string';
  }
  if (type !== undefined) output['type'] = type;
  if (type === 'object' && output['properties'] === undefined) output['properties'] = {};
  if (type !== 'object' && type !== undefined && output['properties'] !== undefined) {
    delete output['properties'];
    delete output['required'];
  }

  const constraints: string[] = [];
  for (const [key, label] of constraintLabels) {
    const value = node[key];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      constraints.push(`${label}: ${String(value)}`);
    }
  }
  if (constraints.length > 0) appendDescription(output, `[Constraint: ${constraints.join(', ')}]`);
  if (nullable) appendDescription(output, '(nullable)');

  for (const key of Object.keys(output)) if (!allowedKeys.has(key)) delete output[key];
  return output;
}

/** Returns a copy of `schema` that v1internal accepts (whitelisted keys, lower-case types, refs resolved). */
export function sanitizeToolSchema(schema: unknown): Record<string, unknown> {
  if (!isObject(schema)) return { type: 'object', properties: {} };
  const cleaned = cleanNode(schema, 0, { definitions: collectDefinitions(schema) }, []);
  if (cleaned['type'] === undefined) {
    cleaned['type'] = 'object';
    if (cleaned['properties'] === undefined) cleaned['properties'] = {};
  }
  return cleaned;
}

/** Upper-cases every `type` (the OpenAI path sends Gemini's enum spelling, e.g. `STRING`). */
export function upperCaseSchemaTypes(schema: Record<string, unknown>, depth = 0): Record<string, unknown> {
  if (depth > maxDepth) return schema;
  const output: JsonObject = { ...schema };
  if (typeof output['type'] === 'string') output['type'] = output['type'].toUpperCase();
  if (isObject(output['properties'])) {
    const properties: JsonObject = {};
    for (const [name, child] of Object.entries(output['properties'])) {
      properties[name] = isObject(child) ? upperCaseSchemaTypes(child, depth + 1) : child;
    }
    output['properties'] = properties;
  }
  if (isObject(output['items'])) output['items'] = upperCaseSchemaTypes(output['items'], depth + 1);
  return output;
}

function declaredType(schema: JsonObject): string | undefined {
  const types = typeNames(schema).filter((type) => type !== 'null');
  return types[0];
}

function fixValue(value: unknown, schema: unknown, depth: number): unknown {
  if (!isObject(schema) || depth > maxDepth) return value;
  const type = declaredType(schema);
  if ((type === 'number' || type === 'integer') && typeof value === 'string') {
    const trimmed = value.trim();
    // Leading zeros ("007") are identifiers, not numbers.
    if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(trimmed) && !/^-?0\d/.test(trimmed)) {
      const parsed = Number(trimmed);
      if (Number.isFinite(parsed)) return parsed;
    }
    return value;
  }
  if (type === 'boolean') {
    if (typeof value === 'string') {
      const lower = value.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(lower)) return true;
      if (['false', '0', 'no', 'off'].includes(lower)) return false;
    }
    if (value === 1) return true;
    if (value === 0) return false;
    return value;
  }
  if (type === 'string' && (typeof value === 'number' || typeof value === 'boolean')) return String(value);
  if (Array.isArray(value) && schema['items'] !== undefined) {
    return value.map((item) => fixValue(item, schema['items'], depth + 1));
  }
  if (isObject(value) && isObject(schema['properties'])) return fixObject(value, schema['properties'], depth + 1);
  return value;
}

function fixObject(args: JsonObject, properties: JsonObject, depth: number): JsonObject {
  const output: JsonObject = {};
  for (const [name, value] of Object.entries(args)) output[name] = fixValue(value, properties[name], depth);
  return output;
}

/** Coerces tool-call argument values to the types `schema` declares (numeric strings, booleans, …). */
export function fixToolArguments(args: Record<string, unknown>, schema: unknown): Record<string, unknown> {
  if (!isObject(schema) || !isObject(schema['properties'])) return args;
  return fixObject(args, schema['properties'], 0);
}
