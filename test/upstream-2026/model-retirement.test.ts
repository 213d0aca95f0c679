/**
 * Issue 16, model retirement: the built-in mapping and the background-task model target ids the backend serves
 * today, and `deprecatedModelIds` from fetchAvailableModels forwards any alias that still lands on a retired id.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaults } from '../../src/config/defaults.ts';
import { currentModelNames, deprecatedModelIds } from '../../src/fake-google/models.ts';
import { builtInModelTable, followForwarding, listModels, resolveModel } from '../../src/protocols/models.ts';
import { startHarness } from '../harness/gateway-harness.ts';
import { clientCall, protocols, send } from '../reliability/helpers.ts';

test('every built-in target, every listed id and the background-task model are served today', () => {
  for (const [alias, target] of Object.entries(builtInModelTable)) {
    assert.ok(currentModelNames.includes(target), `${alias} → ${target} is retired`);
  }
  assert.ok(currentModelNames.includes(defaults.models.backgroundTaskModel));
  for (const id of listModels({})) {
    const { upstreamModel } = resolveModel(id, { customMapping: {} });
    assert.ok(currentModelNames.includes(upstreamModel), `${id} → ${upstreamModel} is retired`);
  }
});

test('forwarding follows deprecatedModelIds after every rule, hop by hop, and stops on a cycle', () => {
  const forwarding = { 'old-a': 'old-b', 'old-b': 'new-c', loop: 'loop2', loop2: 'loop' };
  assert.equal(followForwarding('old-a', forwarding), 'new-c');
  assert.equal(followForwarding('current', forwarding), 'current');
  assert.ok(['loop', 'loop2'].includes(followForwarding('loop', forwarding)));
  const resolution = resolveModel('my-alias', { customMapping: { 'my-alias': 'old-a' }, forwarding });
  assert.equal(resolution.upstreamModel, 'new-c');
  assert.equal(resolution.forwardedFrom, 'old-a');
  assert.equal(resolution.rule, 'custom-exact');
});

test('with retired ids refused (the default), a custom alias on a retired id is forwarded by the accounts’ deprecatedModelIds', async () => {
  const harness = await startHarness({
    accounts: [{ email: 'retired@example.com' }],
    settings: { 'proxy.custom_mapping': { 'my-pro': 'gemini-3-pro-preview', 'my-flash': 'gemini-2.5-flash' } },
  });
  try {
    assert.equal(harness.fake.control.rules().retiredModels, true, 'the rule is on by default');
    await harness.gateway.services.quota!.refreshNow();
    await harness.gateway.services.reloadPool();
    for (const [alias, expected] of [
      ['my-pro', deprecatedModelIds['gemini-3-pro-preview']!.newModelId],
      ['my-flash', deprecatedModelIds['gemini-2.5-flash']!.newModelId],
    ] as const) {
      for (const protocol of protocols) {
        const result = await send(harness.url, harness.headers, clientCall(protocol, 'hello', false, alias));
        assert.equal(result.status, 200, `${protocol} ${alias}: ${result.text}`);
        assert.equal(result.headers.get('x-mapped-model'), expected);
      }
    }
    const retired = harness.fake.control
      .calls({ endpoint: 'streamGenerateContent' })
      .filter((call) => call.rule === 'retired-model');
    assert.equal(retired.length, 0, 'no call ever reached a retired id');
  } finally {
    await harness.close();
  }
});

test('built-in aliases (gpt-4o, claude-sonnet-4-5-thinking, gemini-3-pro-high) answer with retired ids refused', async () => {
  const harness = await startHarness({ accounts: [{ email: 'builtin@example.com' }] });
  try {
    for (const alias of ['gpt-4o', 'claude-sonnet-4-5-thinking', 'gemini-3-pro-high', 'gemini-2.5-flash']) {
      const result = await send(harness.url, harness.headers, clientCall('openai', 'hello', false, alias));
      assert.equal(result.status, 200, `${alias}: ${result.text}`);
    }
  } finally {
    await harness.close();
  }
});
