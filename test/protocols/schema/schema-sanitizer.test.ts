import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fixToolArguments, sanitizeToolSchema, upperCaseSchemaTypes } from '../../../src/protocols/schema-sanitizer.ts';

const allowed = new Set(['type', 'description', 'properties', 'required', 'items', 'enum', 'title']);

/** Walks schema nodes (not property-name maps) and returns the first non-whitelisted key found. */
function firstBadKey(node: unknown, path = '$'): string | undefined {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return `${path} is not an object`;
  for (const [key, value] of Object.entries(node)) {
    if (!allowed.has(key)) return `${path}.${key}`;
    if (key === 'properties') {
      for (const [name, child] of Object.entries(value as object)) {
        const bad = firstBadKey(child, `${path}.properties.${name}`);
        if (bad !== undefined) return bad;
      }
    }
    if (key === 'items') {
      const bad = firstBadKey(value, `${path}.items`);
      if (bad !== undefined) return bad;
    }
    if (key === 'type' && (typeof value !== 'string' || value !== value.toLowerCase())) return `${path}.type`;
    if (key === 'enum' && !(Array.isArray(value) && value.every((entry) => typeof entry === 'string')))
      return `${path}.enum`;
  }
  return undefined;
}

describe('sanitizeToolSchema examples', () => {
  test('the reference example', () => {
    const input = {
      type: 'object',
      properties: { q: { type: ['string', 'null'], minLength: 1 }, n: { type: 'integer', default: 3 } },
      required: ['q', 'n'],
      additionalProperties: false,
    };
    assert.deepEqual(sanitizeToolSchema(input), {
      type: 'object',
      properties: { q: { type: 'string', description: '[Constraint: minLen: 1] (nullable)' }, n: { type: 'integer' } },
      required: ['n'],
    });
  });

  test('$ref and $defs are resolved; unresolvable and recursive refs degrade gracefully', () => {
    const input = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      $defs: { Point: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] } },
      properties: {
        at: { $ref: '#/$defs/Point', description: 'where' },
        other: { $ref: '#/definitions/Missing' },
        tree: { $ref: '#/$defs/Node' },
      },
      definitions: { Node: { type: 'object', properties: { child: { $ref: '#/$defs/Node' } } } },
    };
    assert.deepEqual(sanitizeToolSchema(input), {
      type: 'object',
      properties: {
        at: { description: 'where', type: 'object', properties: { x: { type: 'number' } }, required: ['x'] },
        other: { type: 'string', description: '(Unresolved $ref: #/definitions/Missing)' },
        tree: {
          type: 'object',
          properties: {
            child: { type: 'object', properties: {}, description: '(Recursive $ref: #/$defs/Node)' },
          },
        },
      },
    });
  });

  test('allOf merges, anyOf picks the richest branch and notes the alternatives', () => {
    const input = {
      allOf: [
        { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
        { properties: { b: { type: 'boolean' } }, required: ['b'] },
      ],
      properties: {
        value: { anyOf: [{ type: 'string' }, { type: 'object', properties: { k: { type: 'string' } } }] },
        maybe: { oneOf: [{ type: 'integer' }, { type: 'null' }] },
      },
    };
    assert.deepEqual(sanitizeToolSchema(input), {
      type: 'object',
      properties: {
        value: { type: 'object', properties: { k: { type: 'string' } }, description: 'Accepts: string | object' },
        maybe: { type: 'integer', description: '(nullable)' },
        a: { type: 'string' },
        b: { type: 'boolean' },
      },
      required: ['a', 'b'],
    });
  });

  test('enums become strings, types are lower-cased, non-object properties dropped', () => {
    assert.deepEqual(
      sanitizeToolSchema({
        type: 'OBJECT',
        properties: { level: { type: 'INTEGER', enum: [1, 2, null] }, flag: true, list: { items: { type: 'String' } } },
        required: ['flag', 'level'],
      }),
      {
        type: 'object',
        properties: {
          level: { enum: ['1', '2', 'null'], type: 'string' },
          list: { items: { type: 'string' }, type: 'array' },
        },
        required: ['level'],
      },
    );
  });

  test('non-object input and missing type fall back to an empty object schema', () => {
    assert.deepEqual(sanitizeToolSchema(null), { type: 'object', properties: {} });
    assert.deepEqual(sanitizeToolSchema({}), { type: 'object', properties: {} });
  });

  test('shorthand property maps become object schemas', () => {
    assert.deepEqual(sanitizeToolSchema({ city: { type: 'string' } }), {
      type: 'object',
      properties: { city: { type: 'string' } },
    });
  });

  test('deep nesting is cleaned to the limit and then cut, never thrown', () => {
    let schema: Record<string, unknown> = { type: 'string', format: 'uri' };
    for (let level = 0; level < 500; level += 1) {
      schema = { type: 'object', additionalProperties: false, properties: { next: schema } };
    }
    const cleaned = sanitizeToolSchema(schema);
    assert.equal(firstBadKey(cleaned), undefined);
    assert.match(JSON.stringify(cleaned), /Schema truncated/);
  });

  test('upperCaseSchemaTypes upper-cases nested types', () => {
    assert.deepEqual(
      upperCaseSchemaTypes({ type: 'object', properties: { a: { type: 'array', items: { type: 'string' } } } }),
      { type: 'OBJECT', properties: { a: { type: 'ARRAY', items: { type: 'STRING' } } } },
    );
  });
});

describe('sanitizeToolSchema properties', () => {
  test('random JSON: never throws, only whitelisted keys at every level', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const cleaned = sanitizeToolSchema(value);
        assert.equal(firstBadKey(cleaned), undefined);
      }),
      { numRuns: 400 },
    );
  });

  test('random schema-like objects: never throws, only whitelisted keys', () => {
    const keyword = fc.constantFrom(
      'type',
      'properties',
      'items',
      'anyOf',
      'oneOf',
      'allOf',
      '$ref',
      '$defs',
      'enum',
      'required',
      'nullable',
      'minLength',
      'format',
      'description',
      'additionalProperties',
      'x',
    );
    const { schema } = fc.letrec((tie) => ({
      schema: fc.dictionary(
        keyword,
        fc.oneof(
          { depthSize: 'small' },
          fc.constantFrom('string', 'object', 'array', 'null', 'INTEGER', '#/$defs/x', '#/$defs/y'),
          fc.array(fc.oneof(fc.constantFrom('string', 'null', 'x', 1, true), tie('schema')), { maxLength: 3 }),
          fc.dictionary(fc.constantFrom('x', 'y', 'z'), tie('schema'), { maxKeys: 3 }),
          tie('schema'),
          fc.boolean(),
        ),
        { maxKeys: 5 },
      ),
    }));
    fc.assert(
      fc.property(schema, (value) => {
        assert.equal(firstBadKey(sanitizeToolSchema(value)), undefined);
      }),
      { numRuns: 400 },
    );
  });
});

describe('fixToolArguments', () => {
  const schema = {
    type: 'object',
    properties: {
      count: { type: 'integer' },
      ratio: { type: ['number', 'null'] },
      code: { type: 'integer' },
      enabled: { type: 'boolean' },
      off: { type: 'boolean' },
      label: { type: 'string' },
      nested: { type: 'object', properties: { flag: { type: 'boolean' } } },
      list: { type: 'array', items: { type: 'number' } },
    },
  };
  test('coerces strings to the declared types', () => {
    assert.deepEqual(
      fixToolArguments(
        {
          count: '42',
          ratio: '0.5',
          code: '007',
          enabled: 'yes',
          off: 0,
          label: 12,
          nested: { flag: 'off' },
          list: ['1', '2.5', 'x'],
          extra: '1',
        },
        schema,
      ),
      {
        count: 42,
        ratio: 0.5,
        code: '007',
        enabled: true,
        off: false,
        label: '12',
        nested: { flag: false },
        list: [1, 2.5, 'x'],
        extra: '1',
      },
    );
  });
  test('without a schema the arguments are returned unchanged', () => {
    const args = { a: '1' };
    assert.equal(fixToolArguments(args, undefined), args);
  });
});
