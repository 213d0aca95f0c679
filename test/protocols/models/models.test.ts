import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeModelKey } from '../../../src/pool/model-key.ts';
import {
  isThinkingModel,
  listModels,
  modelFamily,
  resolveModel,
  wildcardMatches,
} from '../../../src/protocols/models.ts';

describe('resolveModel', () => {
  const customMapping = {
    'gpt-4o': 'gemini-3-flash',
    'gpt-*': 'gemini-2.5-flash',
    'gpt-4*': 'claude-sonnet-4-6',
    'gpt-4*-mini': 'gemini-3.1-pro-low',
    '*-mini*': 'tie-first',
    '*mini-*': 'tie-second',
    'claude-*-thinking': 'claude-opus-4-6-thinking',
  };
  const table: Array<[string, Record<string, string>, string, string]> = [
    ['gpt-4o', customMapping, 'gemini-3-flash', 'custom-exact'],
    ['gpt-5', customMapping, 'gemini-2.5-flash', 'custom-wildcard'],
    ['gpt-4.1', customMapping, 'claude-sonnet-4-6', 'custom-wildcard'],
    ['gpt-4o-mini', customMapping, 'gemini-3.1-pro-low', 'custom-wildcard'],
    ['o4-mini-x', customMapping, 'tie-first', 'custom-wildcard'],
    ['claude-sonnet-4-5-thinking', customMapping, 'claude-opus-4-6-thinking', 'custom-wildcard'],
    ['claude-sonnet-4-5', customMapping, 'claude-sonnet-4-6', 'built-in'],
    ['gpt-4o', {}, 'gemini-3-flash', 'built-in'],
    ['claude-opus-4-6', {}, 'claude-opus-4-6-thinking', 'built-in'],
    ['gemini-3-pro-high', {}, 'gemini-pro-agent', 'built-in'],
    ['gemini-3.1-pro', {}, 'gemini-pro-agent', 'built-in'],
    ['gemini-2.5-flash', {}, 'gemini-3.1-flash-lite', 'built-in'],
    ['o3', {}, 'o3', 'pass-through'],
    ['gemini-9-ultra', {}, 'gemini-9-ultra', 'pass-through'],
    ['GPT-4O', {}, 'GPT-4O', 'pass-through'],
  ];
  for (const [client, mapping, upstream, rule] of table) {
    test(`${client} → ${upstream} (${rule})`, () => {
      const resolution = resolveModel(client, { customMapping: mapping });
      assert.equal(resolution.upstreamModel, upstream);
      assert.equal(resolution.rule, rule);
    });
  }

  test('ties between equally specific wildcards follow key order', () => {
    const reversed = { '*mini-*': 'second-key-first', '*-mini*': 'other' };
    assert.equal(resolveModel('o4-mini-x', { customMapping: reversed }).upstreamModel, 'second-key-first');
  });

  test('matched key is reported', () => {
    assert.equal(resolveModel('gpt-5', { customMapping }).matchedKey, 'gpt-*');
  });
});

describe('wildcardMatches', () => {
  test('globs with several stars, case-sensitive', () => {
    assert.equal(wildcardMatches('a*b*c', 'aXXbYYc'), true);
    assert.equal(wildcardMatches('a*b*c', 'ac'), false);
    assert.equal(wildcardMatches('a*a', 'a'), false);
    assert.equal(wildcardMatches('*', ''), true);
    assert.equal(wildcardMatches('GPT-*', 'gpt-4'), false);
    assert.equal(wildcardMatches('a.b*', 'aXb1'), false, 'dots are literal');
  });
});

describe('listModels', () => {
  test('union of accounts, custom exact keys, built-in keys; sorted, no wildcards', () => {
    const ids = listModels({ 'my-model': 'x', 'gpt-*': 'y' }, ['gemini-3-flash-agent', 'gemini-3-flash-agent']);
    assert.ok(ids.includes('my-model'));
    assert.ok(ids.includes('gemini-3-flash-agent'));
    assert.ok(ids.includes('claude-opus-4-6-thinking'));
    assert.ok(!ids.includes('gpt-*'));
    assert.ok(!ids.includes('internal-background-task'));
    assert.deepEqual(ids, [...new Set(ids)].sort());
  });
});

describe('model families', () => {
  test('normalizeModelKey (the pool and quota grouping) follows the quota-bucket rules', () => {
    const table: Array<[string, string]> = [
      ['gemini-3-pro-image', 'gemini-3-pro-image'],
      ['gemini-3.1-flash-image', 'gemini-3.1-flash-image'],
      ['gemini-3-flash-agent', 'gemini-3-flash'],
      ['gemini-2.5-flash', 'gemini-3-flash'],
      ['gemini-pro-agent', 'gemini-3-pro-high'],
      ['Claude-Opus-4-6-Thinking', 'claude'],
      ['gpt-oss-120b-medium', 'gpt-oss-120b-medium'],
    ];
    for (const [model, family] of table) assert.equal(normalizeModelKey(model), family, model);
  });

  test('modelFamily and isThinkingModel', () => {
    assert.equal(modelFamily('claude-sonnet-4-6'), 'claude');
    assert.equal(modelFamily('gemini-3-flash'), 'gemini');
    assert.equal(modelFamily('gpt-oss-120b-medium'), 'other');
    assert.equal(isThinkingModel('claude-sonnet-4-6-thinking'), true);
    assert.equal(isThinkingModel('claude-sonnet-4-6'), false);
    assert.equal(isThinkingModel('gemini-3-flash'), true);
    assert.equal(isThinkingModel('gemini-pro-agent'), true);
    assert.equal(isThinkingModel('gemini-3.1-flash-lite'), false);
    assert.equal(isThinkingModel('gemini-3-pro-image'), false);
  });
});

test('Claude names the table does not know yet fall back to their family; custom mappings still win', () => {
  const cases: Array<[string, string]> = [
    ['claude-opus-4-8', 'claude-opus-4-6-thinking'],
    ['claude-sonnet-5', 'claude-sonnet-4-6'],
    ['claude-haiku-4-9-20270101', 'claude-sonnet-4-6'],
    ['claude-3-7-sonnet-latest', 'claude-sonnet-4-6'],
  ];
  for (const [client, upstream] of cases) {
    const resolved = resolveModel(client, { customMapping: {} });
    assert.equal(resolved.upstreamModel, upstream, client);
    assert.equal(resolved.rule, 'claude-family');
  }
  assert.equal(
    resolveModel('claude-opus-4-8', { customMapping: { 'claude-opus-*': 'gemini-3-flash' } }).upstreamModel,
    'gemini-3-flash',
  );
  assert.equal(resolveModel('claudette', { customMapping: {} }).rule, 'pass-through');
});
