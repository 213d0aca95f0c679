/**
 * Request-shape rules of the 2026 backend (issue 16): the x-goog-user-project 403, Claude thinking with unsigned
 * tool history, thinkingLevel for Claude, VALIDATED tools without a required property, and output caps.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { envelope, type Loose, postJson, type Started, startWithAccount } from './helpers.ts';
import { defaultRules } from './index.ts';

const weatherTool = {
  functionDeclarations: [
    {
      name: 'get_weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  ],
};

describe('request shape rules of 2026', () => {
  let started: Started;
  const generate = (body: unknown, headers: Record<string, string> = {}) =>
    postJson(`${started.google.urls.v1internal}:generateContent`, body, started.accessToken, headers);
  const lastCall = () => started.google.control.calls().at(-1)!;
  before(async () => {
    started = await startWithAccount();
  });
  after(() => started.google.close());
  beforeEach(() => {
    started.google.control.setRules(defaultRules());
    started.google.control.setUserProjectHeader(started.email, 'accepted');
  });

  describe('x-goog-user-project', () => {
    test('service-disabled: 403 SERVICE_DISABLED for the header project; the same call without it succeeds', async () => {
      started.google.control.setUserProjectHeader(started.email, 'service-disabled');
      const body = envelope('gemini-3-flash', 'hello');
      const refused = await generate(body, { 'x-goog-user-project': 'my-billing-project' });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 403);
      assert.equal(refused.body.error.status, 'PERMISSION_DENIED');
      assert.match(
        refused.body.error.message,
        /has not been used in project my-billing-project before or it is disabled/,
      );
      const info = refused.body.error.details[0];
      assert.equal(info['@type'], 'type.googleapis.com/google.rpc.ErrorInfo');
      assert.equal(info.reason, 'SERVICE_DISABLED');
      assert.equal(info.domain, 'googleapis.com');
      assert.equal(info.metadata.consumer, 'projects/my-billing-project');
      assert.equal(info.metadata.service, 'cloudaicompanion.googleapis.com');
      assert.equal(refused.body.error.details[1]['@type'], 'type.googleapis.com/google.rpc.Help');
      const call = lastCall();
      assert.equal(call.rule, 'user-project-header');
      assert.equal(call.headers['x-goog-user-project'], 'my-billing-project');

      const accepted = await generate(body);
      assert.equal(accepted.status, 200);
      assert.equal(lastCall().rule, undefined);
    });

    test('permission-denied: 403 PERMISSION_DENIED naming the project, on every v1internal method', async () => {
      started.google.control.setUserProjectHeader(started.email, 'permission-denied');
      const models = await postJson(`${started.google.urls.v1internal}:fetchAvailableModels`, {}, started.accessToken, {
        'x-goog-user-project': 'other-project',
      });
      assert.equal(models.status, 403);
      assert.equal(models.body.error.status, 'PERMISSION_DENIED');
      assert.match(models.body.error.message, /projects\/other-project\/locations\/global/);
      assert.equal(models.body.error.details[0].reason, 'IAM_PERMISSION_DENIED');
      const stream = await postJson(
        `${started.google.urls.v1internal}:streamGenerateContent?alt=sse`,
        envelope('gemini-3-flash', 'hi'),
        started.accessToken,
        { 'x-goog-user-project': 'other-project' },
      );
      assert.equal(stream.status, 403);
      const without = await postJson(`${started.google.urls.v1internal}:fetchAvailableModels`, {}, started.accessToken);
      assert.equal(without.status, 200);
    });

    test('accepted (the default): the header changes nothing', async () => {
      const reply = await generate(envelope('gemini-3-flash', 'hi'), { 'x-goog-user-project': 'my-billing-project' });
      assert.equal(reply.status, 200);
    });

    test('an account added with userProjectHeader starts in that mode', async () => {
      const handle = started.google.control.addAccount({
        email: 'bob@example.com',
        refreshToken: '1//bob',
        userProjectHeader: 'service-disabled',
      });
      const reply = await postJson(
        `${started.google.urls.v1internal}:generateContent`,
        envelope('gemini-3-flash', 'hi'),
        handle.mintAccessToken(),
        { 'x-goog-user-project': 'p' },
      );
      assert.equal(reply.status, 403);
      assert.equal(reply.body.error.details[0].reason, 'SERVICE_DISABLED');
    });
  });

  describe('Claude thinking with tool history', () => {
    /** A Claude tool call signed by this fake, as a model turn agw would replay. */
    async function signedToolTurn(): Promise<Loose> {
      const reply = await generate(
        envelope('claude-opus-4-6-thinking', 'call get_weather {"city":"Paris"}', { tools: [weatherTool] }),
      );
      assert.equal(reply.status, 200);
      const parts = reply.body.response.candidates[0].content.parts;
      return { role: 'model', parts: parts.filter((part: Loose) => part.functionCall !== undefined) };
    }

    function withHistory(model: string, modelTurn: Loose, extra: Record<string, unknown> = {}): Loose {
      const body: Loose = envelope(model, 'What is the weather in Paris?', {
        tools: [weatherTool],
        generationConfig: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } },
        ...extra,
      });
      body.request.contents.push(modelTurn, {
        role: 'user',
        parts: [{ functionResponse: { name: 'get_weather', response: { temperature: 21 } } }],
      });
      return body;
    }

    const unsignedTurn = { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] };

    test('rule on (the default): a final model tool call without a signature is the 400 Claude gives', async () => {
      assert.equal(started.google.control.rules().claudeToolHistoryThinking, true);
      const reply = await generate(withHistory('claude-opus-4-6-thinking', unsignedTurn));
      assert.equal(reply.status, 400);
      assert.equal(reply.body.error.status, 'INVALID_ARGUMENT');
      const inner = JSON.parse(reply.body.error.message);
      assert.equal(inner.type, 'error');
      assert.equal(inner.error.type, 'invalid_request_error');
      assert.match(
        inner.error.message,
        /^messages\.1\.content\.0\.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`/,
      );
      assert.equal(lastCall().rule, 'claude-tool-history-thinking');
    });

    test('a signature this backend issued, on the call, passes', async () => {
      started.google.control.setRules({ claudeToolHistoryThinking: true });
      const turn = await signedToolTurn();
      assert.equal(typeof turn.parts[0].thoughtSignature, 'string');
      const reply = await generate(withHistory('claude-opus-4-6-thinking', turn));
      assert.equal(reply.status, 200);
    });

    test('the skip sentinel and foreign signatures do not count for Claude', async () => {
      started.google.control.setRules({ claudeToolHistoryThinking: true });
      for (const signature of ['skip_thought_signature_validator', 'A'.repeat(64)]) {
        const turn = { role: 'model', parts: [{ ...unsignedTurn.parts[0], thoughtSignature: signature }] };
        const reply = await generate(withHistory('claude-opus-4-6-thinking', turn));
        assert.equal(reply.status, 400, signature);
      }
    });

    test('thinking on by config (thinkingLevel, budget) counts; thinking off does not', async () => {
      started.google.control.setRules({ claudeToolHistoryThinking: true });
      const plain = await generate(withHistory('claude-sonnet-4-6', unsignedTurn, { generationConfig: {} }));
      assert.equal(plain.status, 200);
      const thinkingIdWithoutConfig = await generate(
        withHistory('claude-opus-4-6-thinking', unsignedTurn, { generationConfig: {} }),
      );
      assert.equal(thinkingIdWithoutConfig.status, 200, 'the model id alone does not turn thinking on');
      const level = await generate(
        withHistory('claude-sonnet-4-6', unsignedTurn, {
          generationConfig: { thinkingConfig: { thinkingLevel: 'high' } },
        }),
      );
      assert.equal(level.status, 400);
      const budget = await generate(
        withHistory('claude-sonnet-4-6', unsignedTurn, {
          generationConfig: { thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 } },
        }),
      );
      assert.equal(budget.status, 400);
    });

    test('only the final model turn is judged; a text-only final turn passes', async () => {
      started.google.control.setRules({ claudeToolHistoryThinking: true });
      const body = withHistory('claude-opus-4-6-thinking', unsignedTurn);
      body.request.contents.push(
        { role: 'model', parts: [{ text: 'It is 21 degrees.' }] },
        {
          role: 'user',
          parts: [{ text: 'Thanks' }],
        },
      );
      assert.equal((await generate(body)).status, 200);
    });

    test('rule off: the unsigned history is answered', async () => {
      started.google.control.setRules({ claudeToolHistoryThinking: false });
      const reply = await generate(withHistory('claude-opus-4-6-thinking', unsignedTurn));
      assert.equal(reply.status, 200);
    });
  });

  describe('thinkingLevel', () => {
    test('Claude accepts thinkingLevel, thinks, and the call records it', async () => {
      const reply = await generate(
        envelope('claude-sonnet-4-6', 'ponder this', {
          generationConfig: { thinkingConfig: { thinkingLevel: 'high' } },
        }),
      );
      assert.equal(reply.status, 200);
      const parts = reply.body.response.candidates[0].content.parts;
      assert.equal(parts[0].thought, true);
      assert.equal(lastCall().generation?.thinkingLevel, 'high');
    });

    test('a level that does not exist is a 400 naming the field', async () => {
      const reply = await generate(
        envelope('claude-sonnet-4-6', 'x', { generationConfig: { thinkingConfig: { thinkingLevel: 'extreme' } } }),
      );
      assert.equal(reply.status, 400);
      assert.match(reply.body.error.message, /thinking_level/);
      assert.equal(lastCall().rule, 'thinking-level');
    });
  });

  describe('VALIDATED tools', () => {
    const validated = { functionCallingConfig: { mode: 'VALIDATED' } };
    const noRequired = {
      functionDeclarations: [{ name: 'list_files', parameters: { type: 'object', properties: {} } }],
    };

    test('rule on: a Claude declaration with no required property is a 400', async () => {
      started.google.control.setRules({ validatedToolsRequired: true });
      const reply = await generate(envelope('claude-sonnet-4-6', 'hi', { tools: [noRequired], toolConfig: validated }));
      assert.equal(reply.status, 400);
      assert.equal(reply.body.error.status, 'INVALID_ARGUMENT');
      assert.match(JSON.parse(reply.body.error.message).error.message, /list_files.*required.*VALIDATED/);
      assert.equal(lastCall().rule, 'validated-tools-required');
      assert.equal(lastCall().generation?.functionCallingMode, 'VALIDATED');
    });

    test('the peers workaround (a required placeholder) passes; other modes and Gemini are not judged', async () => {
      started.google.control.setRules({ validatedToolsRequired: true });
      const placeholder = {
        functionDeclarations: [
          {
            name: 'list_files',
            parameters: {
              type: 'object',
              properties: {
                reason: { type: 'string', description: 'Brief explanation of why you are calling this tool' },
              },
              required: ['reason'],
            },
          },
        ],
      };
      assert.equal(
        (await generate(envelope('claude-sonnet-4-6', 'hi', { tools: [placeholder], toolConfig: validated }))).status,
        200,
      );
      const auto = { functionCallingConfig: { mode: 'AUTO' } };
      assert.equal(
        (await generate(envelope('claude-sonnet-4-6', 'hi', { tools: [noRequired], toolConfig: auto }))).status,
        200,
      );
      assert.equal(
        (await generate(envelope('gemini-3-flash', 'hi', { tools: [noRequired], toolConfig: validated }))).status,
        200,
      );
    });

    test('rule off: answered', async () => {
      started.google.control.setRules({ validatedToolsRequired: false });
      const reply = await generate(envelope('claude-sonnet-4-6', 'hi', { tools: [noRequired], toolConfig: validated }));
      assert.equal(reply.status, 200);
    });
  });

  describe('output caps', () => {
    const withMax = (model: string, maxOutputTokens: number) =>
      generate(envelope(model, 'hi', { generationConfig: { maxOutputTokens } }));

    test('rule on: Claude above 64000 gets Claude words; at the cap it passes', async () => {
      started.google.control.setRules({ outputCaps: true });
      const over = await withMax('claude-sonnet-4-6', 64001);
      assert.equal(over.status, 400);
      assert.equal(
        JSON.parse(over.body.error.message).error.message,
        'max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-6',
      );
      assert.equal(lastCall().rule, 'output-cap');
      assert.equal(lastCall().generation?.maxOutputTokens, 64001);
      assert.equal((await withMax('claude-sonnet-4-6', 64000)).status, 200);
    });

    test('rule on: claude-opus-4-6-thinking caps at 57344', async () => {
      started.google.control.setRules({ outputCaps: true });
      assert.equal((await withMax('claude-opus-4-6-thinking', 57345)).status, 400);
      assert.equal((await withMax('claude-opus-4-6-thinking', 57344)).status, 200);
    });

    test('rule on: a 65535-limit Gemini model gets Google range message; 65536-limit models take 65536', async () => {
      started.google.control.setRules({ outputCaps: true });
      const over = await withMax('gemini-pro-agent', 65536);
      assert.equal(over.status, 400);
      assert.equal(over.body.error.status, 'INVALID_ARGUMENT');
      assert.equal(
        over.body.error.message,
        'Unable to submit request because it has a maxOutputTokens value of 65536 but the supported range is from 1 (inclusive) to 65536 (exclusive). Update the value and try again.',
      );
      assert.equal((await withMax('gemini-pro-agent', 65535)).status, 200);
      assert.equal((await withMax('gemini-3-flash', 65536)).status, 200);
    });

    test('rule off: any maxOutputTokens is answered', async () => {
      started.google.control.setRules({ outputCaps: false });
      assert.equal((await withMax('claude-sonnet-4-6', 100000)).status, 200);
    });
  });
});
