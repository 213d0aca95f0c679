/**
 * The model registry of 2026 (issue 16): today's ids, deprecatedModelIds and the 404 for retired ids, client
 * version gating, quota models without remainingFraction, and image generation (request form, aspect ratio).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  agwUserAgent,
  envelope,
  imageEnvelope,
  type Loose,
  postJson,
  type Started,
  startWithAccount,
} from './helpers.ts';
import { currentModelNames, defaultRules, deprecatedModelIds, fakeModels, pngSize } from './index.ts';

const todaysIds = [
  'claude-opus-4-6-thinking',
  'claude-sonnet-4-6',
  'gemini-3-flash',
  'gemini-3-flash-agent',
  'gemini-3.5-flash-low',
  'gemini-3.5-flash-extra-low',
  'gemini-3.6-flash-high',
  'gemini-3.7-flash-high',
  'gemini-pro-agent',
  'gemini-3.1-pro-low',
  'gemini-3.1-flash-lite',
  'gemini-3.1-flash-image',
  'gpt-oss-120b-medium',
];
const gatedIds = [
  'gemini-3.5-flash-low',
  'gemini-3.5-flash-extra-low',
  'gemini-3.6-flash-high',
  'gemini-3.7-flash-high',
];

describe('model registry of 2026', () => {
  let started: Started;
  const agw = { 'user-agent': agwUserAgent };
  const models = (headers: Record<string, string> = agw) =>
    postJson(`${started.google.urls.v1internal}:fetchAvailableModels`, {}, started.accessToken, headers);
  const generate = (body: unknown, headers: Record<string, string> = agw) =>
    postJson(`${started.google.urls.v1internal}:generateContent`, body, started.accessToken, headers);
  const lastCall = () => started.google.control.calls().at(-1)!;
  before(async () => {
    started = await startWithAccount();
  });
  after(() => started.google.close());
  beforeEach(() => {
    started.google.control.setRules(defaultRules());
  });

  test('the table holds exactly the ids CLIProxyAPI lists today as current models', () => {
    assert.deepEqual([...currentModelNames].sort(), [...todaysIds].sort());
  });

  test('fetchAvailableModels lists every current id and reports the retirements as deprecatedModelIds', async () => {
    const reply = await models();
    assert.equal(reply.status, 200);
    for (const id of todaysIds) assert.ok(id in reply.body.models, id);
    assert.deepEqual(reply.body.deprecatedModelIds, deprecatedModelIds);
    assert.deepEqual(reply.body.deprecatedModelIds['gemini-3-pro-high'], { newModelId: 'gemini-pro-agent' });
    assert.deepEqual(reply.body.deprecatedModelIds['gemini-2.5-flash'], { newModelId: 'gemini-3.1-flash-lite' });
    assert.deepEqual(reply.body.deprecatedModelIds['claude-sonnet-4-6-thinking'], { newModelId: 'claude-sonnet-4-6' });
    assert.equal(reply.body.models['claude-opus-4-6-thinking'].maxOutputTokens, 57344);
    assert.equal(reply.body.models['claude-sonnet-4-6'].maxOutputTokens, 64000);
    assert.equal(reply.body.models['gemini-pro-agent'].maxOutputTokens, 65535);
  });

  test('rule off: retired ids the fake served before are still listed and answered', async () => {
    started.google.control.setRules({ retiredModels: false });
    const reply = await models();
    assert.ok('gemini-2.5-flash' in reply.body.models);
    assert.equal((await generate(envelope('gemini-2.5-flash', 'hi'))).status, 200);
  });

  test('rule on: only current ids are listed; a retired id is 404 "Requested entity was not found."', async () => {
    started.google.control.setRules({ retiredModels: true });
    const listed = await models();
    assert.deepEqual(Object.keys(listed.body.models).sort(), [...todaysIds].sort());
    for (const retired of [
      'gemini-2.5-flash',
      'gemini-3-pro-high',
      'claude-sonnet-4-6-thinking',
      'gemini-3-pro-image',
    ]) {
      const reply = await generate(envelope(retired, 'hi'));
      assert.equal(reply.status, 404, retired);
      assert.deepEqual(reply.body, {
        error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' },
      });
      assert.equal(lastCall().rule, 'retired-model');
    }
    const stream = await postJson(
      `${started.google.urls.v1internal}:streamGenerateContent?alt=sse`,
      envelope('gemini-2.5-flash', 'hi'),
      started.accessToken,
      agw,
    );
    assert.equal(stream.status, 404);
  });

  test('rule on: gemini-3.1-pro-preview was retired with a 400, not a 404', async () => {
    started.google.control.setRules({ retiredModels: true });
    const reply = await generate(envelope('gemini-3.1-pro-preview', 'hi'));
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error.status, 'INVALID_ARGUMENT');
  });

  test('the replacement of every retired id is a current id', () => {
    for (const [retired, forward] of Object.entries(deprecatedModelIds)) {
      assert.ok(todaysIds.includes(forward.newModelId), `${retired} → ${forward.newModelId}`);
    }
  });

  describe('client version gating', () => {
    test('gated models are hidden and not found below the floor, listed and served from it on', async () => {
      const old = { 'user-agent': 'antigravity/hub/2.8.0 darwin/arm64' };
      const hidden = await models(old);
      for (const id of gatedIds) assert.ok(!(id in hidden.body.models), id);
      assert.ok('gemini-3-flash' in hidden.body.models);
      assert.equal(lastCall().clientVersion, '2.8.0');
      const refused = await generate(envelope('gemini-3.7-flash-high', 'hi'), old);
      assert.equal(refused.status, 404);
      assert.equal(refused.body.error.message, 'Requested entity was not found.');
      assert.equal(lastCall().rule, 'version-gated-model');

      const current = { 'user-agent': 'antigravity/hub/2.9.0 darwin/arm64' };
      const shown = await models(current);
      for (const id of gatedIds) assert.ok(id in shown.body.models, id);
      assert.equal((await generate(envelope('gemini-3.7-flash-high', 'hi'), current)).status, 200);
    });

    test('the floor is configurable: above agw version 4.3.0 the gated models disappear for it', async () => {
      assert.ok(gatedIds.every((id) => id in fakeModels));
      started.google.control.setRules({ clientVersion: { gatedModelVersion: '5.0.0' } });
      const reply = await models();
      assert.equal(lastCall().clientVersion, '4.3.0');
      for (const id of gatedIds) assert.ok(!(id in reply.body.models), id);
    });

    test('x-client-version counts when the User-Agent names no version; no version at all is below every floor', async () => {
      const byHeader = await models({ 'user-agent': 'node', 'x-client-version': '3.0.1' });
      assert.equal(lastCall().clientVersion, '3.0.1');
      assert.ok('gemini-3.6-flash-high' in byHeader.body.models);
      const anonymous = await models({ 'user-agent': 'node' });
      assert.equal(lastCall().clientVersion, undefined);
      assert.ok(!('gemini-3.6-flash-high' in anonymous.body.models));
    });
  });

  test('a quota model without remainingFraction: quotaInfo has only resetTime, and generation goes on', async () => {
    started.google.control.setQuota(started.email, 'gemini-3.1-flash-lite', null, '2026-09-01T00:00:00Z');
    const reply = await models();
    assert.deepEqual(reply.body.models['gemini-3.1-flash-lite'].quotaInfo, { resetTime: '2026-09-01T00:00:00Z' });
    assert.equal((await generate(envelope('gemini-3.1-flash-lite', 'hi'))).status, 200);
  });

  describe('image models', () => {
    const image = (extra: Record<string, unknown> = {}, generationConfig: Record<string, unknown> = {}) => ({
      ...imageEnvelope('gemini-3.1-flash-image', 'draw a cat', { generationConfig }),
      ...extra,
    });
    const imagePart = (body: Loose) =>
      body.response.candidates[0].content.parts.find((part: Loose) => part.inlineData !== undefined);

    test('rule on (the default): requestType agent is refused; the image form gets an inlineData image', async () => {
      assert.equal(started.google.control.rules().imageRequestType, true);
      const agent = await generate(image({ requestType: 'agent' }));
      assert.equal(agent.status, 400);
      assert.equal(agent.body.error.status, 'INVALID_ARGUMENT');
      assert.equal(lastCall().rule, 'image-request-type');
      const badId = await generate(image({ requestId: 'agent/antigravity/sid-1234/1' }));
      assert.equal(badId.status, 400);
      const good = await generate(image());
      assert.equal(good.status, 200);
      assert.equal(imagePart(good.body).inlineData.mimeType, 'image/png');
      assert.equal(lastCall().generation?.requestType, 'image_gen');
    });

    test('imageConfig.aspectRatio shapes the image and is recorded', async () => {
      const reply = await generate(image({}, { imageConfig: { aspectRatio: '16:9' } }));
      assert.equal(reply.status, 200);
      assert.deepEqual(pngSize(imagePart(reply.body).inlineData.data), { width: 16, height: 9 });
      assert.equal(lastCall().generation?.aspectRatio, '16:9');
      const square = await generate(image());
      assert.deepEqual(pngSize(imagePart(square.body).inlineData.data), { width: 1, height: 1 });
    });

    test('an aspect ratio the model does not offer is a 400', async () => {
      const reply = await generate(image({}, { imageConfig: { aspectRatio: '7:5' } }));
      assert.equal(reply.status, 400);
      assert.equal(lastCall().rule, 'image-aspect-ratio');
    });

    test('rule off: requestType agent still gets an image', async () => {
      started.google.control.setRules({ imageRequestType: false });
      const reply = await generate(image({ requestType: 'agent' }));
      assert.equal(reply.status, 200);
      assert.ok(imagePart(reply.body));
    });
  });
});

test('rules given as an option are the starting point, and reset() returns to them', async () => {
  const { createFakeGoogle } = await import('./index.ts');
  const google = await createFakeGoogle({ rules: { retiredModels: false, promptFilter: { enabled: true } } });
  try {
    assert.equal(google.control.rules().retiredModels, false);
    assert.equal(google.control.rules().promptFilter.enabled, true);
    assert.deepEqual(google.control.rules().promptFilter.phrases, defaultRules().promptFilter.phrases);
    google.control.setRules({ retiredModels: true });
    google.control.reset();
    assert.equal(google.control.rules().retiredModels, false);
  } finally {
    await google.close();
  }
});
