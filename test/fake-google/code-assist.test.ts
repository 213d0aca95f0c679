import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { agwUserAgent, postJson, type Started, startWithAccount } from './helpers.ts';
import { currentModelNames } from './index.ts';

describe('loadCodeAssist, onboardUser, fetchAvailableModels, retrieveUserQuotaSummary', () => {
  let started: Started;
  const call = (method: string, body: unknown, token = started.accessToken) =>
    postJson(`${started.google.urls.v1internal}:${method}`, body, token, { 'user-agent': agwUserAgent });
  before(async () => {
    started = await startWithAccount();
  });
  after(() => started.google.close());

  test('every method needs a valid bearer', async () => {
    for (const method of ['loadCodeAssist', 'fetchAvailableModels', 'retrieveUserQuotaSummary', 'generateContent']) {
      const missing = await postJson(`${started.google.urls.v1internal}:${method}`, {});
      assert.equal(missing.status, 401, method);
      assert.deepEqual(Object.keys(missing.body.error).sort(), ['code', 'message', 'status']);
      assert.equal(missing.body.error.status, 'UNAUTHENTICATED');
      assert.match(missing.body.error.message, /^Request had invalid authentication credentials/);
      const bad = await call(method, {}, 'ya29.invented');
      assert.equal(bad.status, 401, method);
    }
  });

  test('loadCodeAssist reports the project and tiers (PRO by default)', async () => {
    const reply = await call('loadCodeAssist', { metadata: { ideType: 'ANTIGRAVITY' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.cloudaicompanionProject, started.google.control.account(started.email)?.projectId());
    assert.match(reply.body.cloudaicompanionProject, /^fake-project-[0-9a-f]{8}$/);
    assert.equal(reply.body.currentTier.id, 'standard-tier');
    assert.match(reply.body.paidTier.name.toLowerCase(), /pro/);
    assert.ok(reply.body.allowedTiers.some((tier: { isDefault?: boolean }) => tier.isDefault === true));
    started.google.control.setTier(started.email, 'ULTRA');
    assert.match((await call('loadCodeAssist', {})).body.paidTier.name.toLowerCase(), /ultra/);
    started.google.control.setTier(started.email, 'FREE');
    const free = await call('loadCodeAssist', {});
    assert.equal(free.body.paidTier, undefined);
    assert.match(free.body.currentTier.name.toLowerCase(), /free/);
    started.google.control.setTier(started.email, 'PRO');
  });

  test('an account without a project gets one only after onboardUser', async () => {
    const handle = started.google.control.addAccount({
      email: 'new@example.com',
      refreshToken: '1//new',
      projectId: null,
    });
    const token = handle.mintAccessToken();
    const before = await call('loadCodeAssist', { metadata: { ideType: 'ANTIGRAVITY' } }, token);
    assert.equal(before.status, 200);
    assert.equal('cloudaicompanionProject' in before.body, false);
    assert.equal('currentTier' in before.body, false);
    const onboard = await call('onboardUser', { tierId: 'free-tier', metadata: { ideType: 'ANTIGRAVITY' } }, token);
    assert.equal(onboard.status, 200);
    assert.equal(onboard.body.done, true);
    assert.match(onboard.body.name, /^operations\//);
    const project = onboard.body.response.cloudaicompanionProject.id;
    assert.match(project, /^fake-project-/);
    const afterwards = await call('loadCodeAssist', {}, token);
    assert.equal(afterwards.body.cloudaicompanionProject, project);
  });

  test('fetchAvailableModels lists every known model (to a current client) with quota and metadata; setQuota shows', async () => {
    started.google.control.setQuota(started.email, 'gemini-3-flash', 0.25, '2026-03-05T07:20:42Z');
    const reply = await call('fetchAvailableModels', {
      project: started.google.control.account(started.email)!.projectId(),
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(Object.keys(reply.body.models).sort(), [...currentModelNames].sort());
    const flash = reply.body.models['gemini-3-flash'];
    assert.deepEqual(flash.quotaInfo, { remainingFraction: 0.25, resetTime: '2026-03-05T07:20:42Z' });
    for (const key of [
      'displayName',
      'supportsImages',
      'supportsThinking',
      'thinkingBudget',
      'recommended',
      'maxTokens',
      'maxOutputTokens',
    ]) {
      assert.ok(key in flash, key);
    }
    assert.equal(reply.body.models['claude-opus-4-6-thinking'].quotaInfo.remainingFraction, 1);
    assert.deepEqual(reply.body.deprecatedModelIds['gemini-3-pro-high'], { newModelId: 'gemini-pro-agent' });
    const empty = await call('fetchAvailableModels', {});
    assert.equal(empty.status, 200);
  });

  test('a foreign project is 403 PERMISSION_DENIED', async () => {
    const reply = await call('fetchAvailableModels', { project: 'bamboo-precept-lgxtn' });
    assert.equal(reply.status, 403);
    assert.equal(reply.body.error.status, 'PERMISSION_DENIED');
  });

  test('retrieveUserQuotaSummary groups the four buckets', async () => {
    const reply = await call('retrieveUserQuotaSummary', {});
    assert.equal(reply.status, 200);
    const buckets = reply.body.groups.flatMap((group: { buckets: unknown[] }) => group.buckets);
    assert.deepEqual(
      buckets.map((bucket: { bucketId: string; window: string }) => `${bucket.bucketId}/${bucket.window}`).sort(),
      ['3p-5h/5h', '3p-weekly/weekly', 'gemini-5h/5h', 'gemini-weekly/weekly'],
    );
    started.google.control.setBuckets(started.email, [
      { bucketId: 'gemini-5h', window: '5h', remainingFraction: 0.1, resetTime: '2026-01-01T05:00:00Z' },
    ]);
    const custom = await call('retrieveUserQuotaSummary', {});
    const gemini = custom.body.groups[0].buckets[0];
    assert.equal(gemini.remainingFraction, 0.1);
    assert.equal(typeof custom.body.groups[0].displayName, 'string');
  });
});
