/**
 * Answers and quota of the 2026 backend (issue 16): the "no longer supported" text in an HTTP 200, the prompt
 * filter's quota-less RESOURCE_EXHAUSTED, Google One AI credits, and "no capacity" on one base URL.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { agwUserAgent, envelope, imageEnvelope, postJson, type Started, startWithAccount } from './helpers.ts';
import { defaultRules, defaultTriggerPhrases, unsupportedVersionText } from './index.ts';

describe('answers and quota of 2026', () => {
  let started: Started;
  const agw = { 'user-agent': agwUserAgent };
  const generate = (body: unknown, headers: Record<string, string> = agw, base = started.google.urls.v1internal) =>
    postJson(`${base}:generateContent`, body, started.accessToken, headers);
  const lastCall = () => started.google.control.calls().at(-1)!;
  before(async () => {
    started = await startWithAccount();
  });
  after(() => started.google.close());
  beforeEach(() => {
    started.google.control.setRules(defaultRules());
    started.google.control.clearScripts();
  });

  describe('client version too old', () => {
    test('below the minimum (1.23.2 by default) generate answers HTTP 200 whose body is the text error', async () => {
      assert.equal(started.google.control.rules().clientVersion.minimumSupported, '1.23.2');
      const old = { 'user-agent': 'antigravity/1.15.8 linux/amd64' };
      const reply = await generate(envelope('gemini-3-flash', 'hi'), old);
      assert.equal(reply.status, 200);
      assert.equal(reply.text, unsupportedVersionText);
      assert.equal(lastCall().rule, 'client-version');
      assert.equal(lastCall().clientVersion, '1.15.8');

      const stream = await postJson(
        `${started.google.urls.v1internal}:streamGenerateContent?alt=sse`,
        envelope('gemini-3-flash', 'hi'),
        started.accessToken,
        old,
      );
      assert.equal(stream.status, 200);
      assert.match(stream.headers.get('content-type') ?? '', /text\/event-stream/);
      assert.equal(stream.text, unsupportedVersionText);
      assert.ok(!stream.text.includes('data:'));
    });

    test('at the minimum, above it, and without a reported version the call is answered', async () => {
      for (const headers of [{ 'user-agent': 'antigravity/1.23.2 linux/amd64' }, agw, { 'user-agent': 'node' }]) {
        const reply = await generate(envelope('gemini-3-flash', 'hi'), headers);
        assert.equal(reply.status, 200);
        assert.equal(reply.body.response.candidates[0].content.parts[0].text, 'Echo: hi');
      }
    });

    test('off (minimumSupported null): old clients are answered', async () => {
      started.google.control.setRules({ clientVersion: { minimumSupported: null } });
      const reply = await generate(envelope('gemini-3-flash', 'hi'), {
        'user-agent': 'antigravity/1.11.5 linux/amd64',
      });
      assert.equal(reply.body.response.candidates[0].content.parts[0].text, 'Echo: hi');
    });
  });

  describe('prompt filter', () => {
    const withSystem = (text: string) =>
      envelope('claude-sonnet-4-6', 'hi', { systemInstruction: { role: 'user', parts: [{ text }] } });

    test('each default trigger phrase in the system instruction gets 429 RESOURCE_EXHAUSTED with no quota reason', async () => {
      started.google.control.setRules({ promptFilter: { enabled: true } });
      for (const phrase of defaultTriggerPhrases) {
        const reply = await generate(withSystem(`Intro.\n${phrase}\nMore text.`));
        assert.equal(reply.status, 429, phrase);
        assert.deepEqual(reply.body, {
          error: {
            code: 429,
            message: 'Resource has been exhausted (e.g. check quota).',
            status: 'RESOURCE_EXHAUSTED',
          },
        });
        assert.equal(lastCall().rule, 'prompt-filter');
      }
    });

    test('the 503 form is UNAVAILABLE, again without details', async () => {
      started.google.control.setRules({ promptFilter: { enabled: true, status: 503 } });
      const reply = await generate(withSystem("You are a Claude agent, built on Anthropic's Claude Agent SDK."));
      assert.equal(reply.status, 503);
      assert.equal(reply.body.error.status, 'UNAVAILABLE');
      assert.equal(reply.body.error.details, undefined);
    });

    test('a phrase quoted by the user, an untouched prompt, and a rewritten phrase pass', async () => {
      started.google.control.setRules({ promptFilter: { enabled: true } });
      const quoted = envelope('claude-sonnet-4-6', 'What does <system-conventions> mean?');
      assert.equal((await generate(quoted)).status, 200);
      assert.equal((await generate(withSystem('You are a helpful assistant.'))).status, 200);
      assert.equal((await generate(withSystem('You are a Claude agent, built on the Agent SDK.'))).status, 200);
    });

    test('the phrase list is configurable', async () => {
      started.google.control.setRules({ promptFilter: { enabled: true, phrases: ['forbidden words'] } });
      assert.equal((await generate(withSystem('some forbidden words here'))).status, 429);
      assert.equal((await generate(withSystem('<system-conventions>'))).status, 200);
    });

    test('off: trigger phrases are answered', async () => {
      started.google.control.setRules({ promptFilter: { enabled: false } });
      assert.equal((await generate(withSystem(defaultTriggerPhrases[0]!))).status, 200);
    });
  });

  describe('Google One AI credits', () => {
    const credits = { enabledCreditTypes: ['GOOGLE_ONE_AI'] };
    beforeEach(() => {
      started.google.control.setQuota(started.email, 'claude-sonnet-4-6', 0, '2026-09-01T00:00:00Z');
      started.google.control.setCredits(started.email, { amount: 51, minimumForUsage: 50 });
    });

    test('loadCodeAssist reports the balance in paidTier.availableCredits', async () => {
      const reply = await postJson(`${started.google.urls.v1internal}:loadCodeAssist`, {}, started.accessToken, agw);
      assert.deepEqual(reply.body.paidTier.availableCredits, [
        { creditType: 'GOOGLE_ONE_AI', creditAmount: '51', minimumCreditAmountForUsage: '50' },
      ]);
    });

    test('spent free quota without enabledCreditTypes is 429 QUOTA_EXHAUSTED', async () => {
      const reply = await generate(envelope('claude-sonnet-4-6', 'hi'));
      assert.equal(reply.status, 429);
      assert.equal(reply.body.error.details[0].reason, 'QUOTA_EXHAUSTED');
      assert.equal(lastCall().rule, 'quota-exhausted');
    });

    test('with enabledCreditTypes the account pays with credits until the minimum, then INSUFFICIENT_G1_CREDITS_BALANCE', async () => {
      const first = await generate({ ...envelope('claude-sonnet-4-6', 'hi'), ...credits });
      assert.equal(first.status, 200);
      assert.equal(lastCall().rule, 'credits');
      assert.deepEqual(lastCall().generation?.enabledCreditTypes, ['GOOGLE_ONE_AI']);
      assert.equal(started.google.control.credits(started.email)?.amount, 50);
      assert.equal(
        (await generate({ ...envelope('claude-sonnet-4-6', 'hi'), ...credits })).status,
        200,
        'at the minimum',
      );
      const broke = await generate({ ...envelope('claude-sonnet-4-6', 'hi'), ...credits });
      assert.equal(broke.status, 429);
      assert.equal(broke.body.error.status, 'RESOURCE_EXHAUSTED');
      assert.equal(broke.body.error.details[0].reason, 'INSUFFICIENT_G1_CREDITS_BALANCE');
      assert.equal(broke.body.error.details[0].metadata.model, 'claude-sonnet-4-6');
      assert.equal(lastCall().rule, 'insufficient-credits');
      assert.equal(started.google.control.credits(started.email)?.amount, 49);
    });

    test('an account without credits gets INSUFFICIENT_G1_CREDITS_BALANCE', async () => {
      started.google.control.setCredits(started.email, null);
      const reply = await generate({ ...envelope('claude-sonnet-4-6', 'hi'), ...credits });
      assert.equal(reply.status, 429);
      assert.equal(reply.body.error.details[0].reason, 'INSUFFICIENT_G1_CREDITS_BALANCE');
      const load = await postJson(`${started.google.urls.v1internal}:loadCodeAssist`, {}, started.accessToken, agw);
      assert.equal(load.body.paidTier.availableCredits, undefined);
    });

    test('free quota left: enabledCreditTypes spends nothing', async () => {
      started.google.control.setQuota(started.email, 'claude-sonnet-4-6', 0.5);
      assert.equal((await generate({ ...envelope('claude-sonnet-4-6', 'hi'), ...credits })).status, 200);
      assert.equal(lastCall().rule, undefined);
      assert.equal(started.google.control.credits(started.email)?.amount, 51);
    });
  });

  describe('capacity per base URL', () => {
    test('429 MODEL_CAPACITY_EXHAUSTED on the primary base while alt1 answers', async () => {
      started.google.control.script({
        match: { base: 'primary' },
        times: 'always',
        action: { kind: 'no-capacity' },
      });
      const busy = await generate(envelope('gemini-3-flash', 'hi'));
      assert.equal(busy.status, 429);
      assert.deepEqual(busy.body, {
        error: {
          code: 429,
          message: 'No capacity available for model gemini-3-flash on the server',
          status: 'RESOURCE_EXHAUSTED',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'MODEL_CAPACITY_EXHAUSTED',
              domain: 'cloudcode-pa.googleapis.com',
              metadata: { model: 'gemini-3-flash' },
            },
          ],
        },
      });
      const other = await generate(envelope('gemini-3-flash', 'hi'), agw, started.google.urls.v1internalAlt1);
      assert.equal(other.status, 200);
      const models = await postJson(
        `${started.google.urls.v1internal}:fetchAvailableModels`,
        {},
        started.accessToken,
        agw,
      );
      assert.equal(models.status, 200, 'only generation lacks capacity');
    });

    test('503 "no capacity" form, for one model only', async () => {
      started.google.control.script({
        match: { base: 'alt1', model: 'gemini-3.1-flash-image' },
        times: 'always',
        action: { kind: 'no-capacity', status: 503 },
      });
      const image = await generate(
        imageEnvelope('gemini-3.1-flash-image', 'draw'),
        agw,
        started.google.urls.v1internalAlt1,
      );
      assert.equal(image.status, 503);
      assert.equal(image.body.error.status, 'UNAVAILABLE');
      assert.equal(image.body.error.message, 'No capacity available for model gemini-3.1-flash-image on the server');
      assert.equal(image.body.error.details[0].reason, 'MODEL_CAPACITY_EXHAUSTED');
      assert.equal(
        (await generate(envelope('gemini-3-flash', 'hi'), agw, started.google.urls.v1internalAlt1)).status,
        200,
      );
      assert.equal((await generate(imageEnvelope('gemini-3.1-flash-image', 'draw'))).status, 200);
    });
  });

  test('every setting is reachable over the HTTP control surface', async () => {
    const control = started.google.urls.control;
    const rules = await postJson(`${control}/rules`, { outputCaps: false, promptFilter: { status: 503 } });
    assert.equal(rules.status, 200);
    assert.equal(rules.body.outputCaps, false);
    assert.equal(rules.body.promptFilter.status, 503);
    assert.equal(rules.body.promptFilter.enabled, true, 'the default, kept by a partial patch');
    const read = await fetch(`${control}/rules`).then((response) => response.json());
    assert.equal(read.outputCaps, false);
    started.google.control.setRules({ outputCaps: true, promptFilter: { status: 429 } });

    assert.equal(
      (await postJson(`${control}/user-project-header`, { email: started.email, mode: 'service-disabled' })).status,
      200,
    );
    assert.equal(
      (await generate(envelope('gemini-3-flash', 'hi'), { ...agw, 'x-goog-user-project': 'p' })).status,
      403,
    );
    assert.equal(
      (await postJson(`${control}/user-project-header`, { email: started.email, mode: 'nope' })).status,
      400,
    );
    await postJson(`${control}/user-project-header`, { email: started.email, mode: 'accepted' });

    await postJson(`${control}/credits`, { email: started.email, credits: { amount: 7, minimumForUsage: 1 } });
    assert.equal(started.google.control.credits(started.email)?.amount, 7);
    assert.equal((await postJson(`${control}/credits`, { email: started.email, credits: 'lots' })).status, 400);

    await postJson(`${control}/quota`, { email: started.email, model: 'gemini-3-flash', remainingFraction: null });
    const models = await postJson(
      `${started.google.urls.v1internal}:fetchAvailableModels`,
      {},
      started.accessToken,
      agw,
    );
    assert.equal('remainingFraction' in models.body.models['gemini-3-flash'].quotaInfo, false);

    const shared = await fetch(`${control}/connections/shared`).then((response) => response.json());
    assert.deepEqual(shared, { sharedConnections: [] });
  });
});
