import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { addAccountFromRefreshToken } from '../../src/google/account-onboarding.ts';
import {
  type CodeAssistClient,
  convertAvailableModels,
  createCodeAssistClient,
  deriveSubscriptionTier,
} from '../../src/google/code-assist.ts';
import { createGoogleAgent } from '../../src/google/http.ts';
import { createOAuthClient } from '../../src/google/oauth.ts';
import { defaultGoogleScopes } from '../../src/google/settings.ts';
import { createUpstreamTransport } from '../../src/upstream/transport.ts';
import {
  type RecordedCall,
  type Reply,
  refusedPort,
  replying,
  startServer,
  type TestServer,
} from '../support/http-server.ts';
import { rejection } from '../support/rejection.ts';

const agent = createGoogleAgent();
const transport = createUpstreamTransport({ connectTimeoutMs: 5_000, keepAliveTimeoutMs: 1_000 });
after(() => Promise.all([agent.close(), transport.close()]));

const fixedNow = () => 1_700_000_000_000;

function clientFor(endpoints: string[], onboardPollAttempts = 3): CodeAssistClient {
  return createCodeAssistClient(
    { endpoints, userAgent: 'agw-test', timeoutMs: 5_000, onboardPollAttempts, onboardPollIntervalMs: 1 },
    { transport, now: fixedNow, sleep: async () => undefined },
  );
}

const servers: TestServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
});
async function server(handler: (call: RecordedCall) => Reply): Promise<TestServer> {
  const started = await startServer(replying(handler));
  servers.push(started);
  return started;
}

describe('tier derivation (§7.3)', () => {
  const table: [string, unknown, string | undefined][] = [
    ['paid tier name wins', { paidTier: { id: 'g1-ultra', name: 'Ultra' }, currentTier: { id: 'free-tier' } }, 'Ultra'],
    ['paid tier id when no name', { paidTier: { id: 'g1-pro-tier' } }, 'g1-pro-tier'],
    ['current tier when no ineligible tiers', { currentTier: { id: 'free-tier', name: 'Free' } }, 'Free'],
    ['current tier when ineligible list empty', { currentTier: { id: 'free-tier' }, ineligibleTiers: [] }, 'free-tier'],
    [
      'restricted default allowed tier when ineligible',
      {
        currentTier: { id: 'free-tier' },
        ineligibleTiers: [{ reasonCode: 'X' }],
        allowedTiers: [{ id: 'legacy-tier' }, { id: 'standard-tier', name: 'Standard', isDefault: true }],
      },
      'Standard (Restricted)',
    ],
    [
      'snake_case is_default is accepted',
      { ineligibleTiers: [{}], allowedTiers: [{ id: 'free-tier', is_default: true }] },
      'free-tier (Restricted)',
    ],
    ['nothing known', {}, undefined],
  ];
  for (const [label, body, expected] of table) {
    test(label, () => assert.equal(deriveSubscriptionTier(body), expected));
  }
});

describe('loadCodeAssist, onboardUser, resolveProject', () => {
  test('loadCodeAssist sends the metadata and reads project and tier', async () => {
    const google = await server(() => ({
      status: 200,
      body: { cloudaicompanionProject: 'proj-1', currentTier: { id: 'free-tier', name: 'Free' } },
    }));
    const result = await clientFor([`${google.url}/v1internal`]).loadCodeAssist('ya29.a');
    assert.deepEqual(result, { projectId: 'proj-1', tier: 'Free', onboardTierId: 'free-tier' });
    assert.equal(google.calls[0]!.path, '/v1internal:loadCodeAssist');
    assert.deepEqual(JSON.parse(google.calls[0]!.body), { metadata: { ideType: 'ANTIGRAVITY' } });
    assert.equal(google.calls[0]!.headers.authorization, 'Bearer ya29.a');
    assert.equal(google.calls[0]!.headers['user-agent'], 'agw-test');
  });

  test('a missing project triggers onboardUser, which is polled until the operation is done', async () => {
    let onboardCalls = 0;
    const google = await server((call) => {
      if (call.path.endsWith(':loadCodeAssist')) {
        return { status: 200, body: { allowedTiers: [{ id: 'free-tier', isDefault: true }] } };
      }
      onboardCalls += 1;
      if (onboardCalls < 3) return { status: 200, body: { name: 'operations/1', done: false } };
      return {
        status: 200,
        body: {
          name: 'operations/1',
          done: true,
          response: { cloudaicompanionProject: { id: 'new-proj', name: 'n' } },
        },
      };
    });
    const resolved = await clientFor([`${google.url}/v1internal`]).resolveProject('ya29.a');
    assert.equal(resolved.projectId, 'new-proj');
    assert.deepEqual(
      google.calls.map((call) => call.path),
      ['/v1internal:loadCodeAssist', '/v1internal:onboardUser', '/v1internal:onboardUser', '/v1internal:onboardUser'],
    );
    assert.deepEqual(JSON.parse(google.calls[1]!.body), { tierId: 'free-tier', metadata: { ideType: 'ANTIGRAVITY' } });
  });

  test('onboarding that never finishes is bounded and reported as AGW_PROJECT_UNRESOLVED', async () => {
    const google = await server((call) =>
      call.path.endsWith(':loadCodeAssist') ? { status: 200, body: {} } : { status: 200, body: { done: false } },
    );
    const error = await rejection(clientFor([`${google.url}/v1internal`], 2).resolveProject('ya29.a'));
    assert.equal(error.code, 'AGW_PROJECT_UNRESOLVED');
    assert.equal(google.calls.filter((call) => call.path.endsWith(':onboardUser')).length, 3);
  });

  test('a failing loadCodeAssist becomes AGW_PROJECT_UNRESOLVED with the status kept', async () => {
    const google = await server(() => ({ status: 400, body: { error: { message: 'bad' } } }));
    const error = await rejection(clientFor([`${google.url}/v1internal`]).resolveProject('ya29.a'));
    assert.equal(error.code, 'AGW_PROJECT_UNRESOLVED');
    assert.equal(error.upstreamStatus, 400);
    assert.match(error.message, /loadCodeAssist/);
  });

  test('401 surfaces as AGW_UPSTREAM_UNAUTHORIZED from every call', async () => {
    const google = await server(() => ({ status: 401, body: { error: { code: 401 } } }));
    const client = clientFor([`${google.url}/v1internal`]);
    for (const promise of [
      client.loadCodeAssist('t'),
      client.resolveProject('t'),
      client.fetchAvailableModels('t', 'p'),
      client.retrieveUserQuotaSummary('t', 'p'),
    ]) {
      const error = await rejection(promise);
      assert.equal(error.code, 'AGW_UPSTREAM_UNAUTHORIZED');
      assert.equal(error.upstreamStatus, 401);
    }
  });
});

const modelsBody = {
  models: {
    'gemini-3-flash': {
      quotaInfo: { remainingFraction: 0.829, resetTime: '2026-03-05T07:20:42Z' },
      displayName: 'Gemini 3 Flash',
      supportsImages: true,
      supportsThinking: true,
      thinkingBudget: 10000,
      recommended: true,
      maxTokens: 1048576,
      maxOutputTokens: 65536,
      supportedMimeTypes: { 'image/png': true },
    },
    'claude-sonnet-4-5': { quotaInfo: {} },
    chat_20706: { quotaInfo: { remainingFraction: 1 } },
    'gpt-oss-120b': { displayName: 'no quota info' },
    'imagen-4': { quotaInfo: { remainingFraction: 0.5 } },
  },
  deprecatedModelIds: { 'gemini-3-pro-high': { newModelId: 'gemini-pro-agent' }, broken: {} },
};

describe('fetchAvailableModels', () => {
  test('converts models, filters names, maps forwarding rules', () => {
    const converted = convertAvailableModels(modelsBody);
    assert.deepEqual(
      converted.models.map((model) => [model.name, model.percentage, model.reset_time]),
      [
        ['gemini-3-flash', 82, '2026-03-05T07:20:42Z'],
        // No remainingFraction: unknown (issue 16), stored as 100 with percentage_unknown, never 0 %.
        ['claude-sonnet-4-5', 100, ''],
        ['imagen-4', 50, ''],
      ],
    );
    assert.equal(converted.models[1]?.percentage_unknown, true);
    assert.deepEqual(converted.models[0], {
      name: 'gemini-3-flash',
      percentage: 82,
      reset_time: '2026-03-05T07:20:42Z',
      display_name: 'Gemini 3 Flash',
      supports_images: true,
      supports_thinking: true,
      thinking_budget: 10000,
      recommended: true,
      max_tokens: 1048576,
      max_output_tokens: 65536,
      supported_mime_types: { 'image/png': true },
    });
    assert.deepEqual(converted.model_forwarding_rules, { 'gemini-3-pro-high': 'gemini-pro-agent' });
  });

  test('returns QuotaData with project in the body and the tier passed in', async () => {
    const google = await server(() => ({ status: 200, body: modelsBody }));
    const quota = await clientFor([`${google.url}/v1internal`]).fetchAvailableModels('t', 'proj-1', {
      subscriptionTier: 'Pro',
    });
    assert.equal(quota.last_updated, 1_700_000_000);
    assert.equal(quota.is_forbidden, false);
    assert.equal(quota.subscription_tier, 'Pro');
    assert.equal(quota.models.length, 3);
    assert.deepEqual(JSON.parse(google.calls[0]!.body), { project: 'proj-1' });
  });

  test('403 with a project is retried once without it on the same endpoint', async () => {
    const google = await server((call) =>
      JSON.parse(call.body).project ? { status: 403, body: { error: 'no' } } : { status: 200, body: modelsBody },
    );
    const quota = await clientFor([`${google.url}/v1internal`]).fetchAvailableModels('t', 'proj-1');
    assert.equal(quota.models.length, 3);
    assert.deepEqual(
      google.calls.map((call) => JSON.parse(call.body)),
      [{ project: 'proj-1' }, {}],
    );
  });

  test('403 without a project (or twice) marks the quota forbidden', async () => {
    const google = await server(() => ({ status: 403, body: { error: { message: 'forbidden' } } }));
    const quota = await clientFor([`${google.url}/v1internal`]).fetchAvailableModels('t', 'proj-1');
    assert.equal(quota.is_forbidden, true);
    assert.deepEqual(quota.models, []);
    assert.equal(google.calls.length, 2);
  });

  test('falls back to the next endpoint on 429, 5xx and refused connections, in order', async () => {
    const port = await refusedPort();
    const limited = await server(() => ({ status: 429, body: {} }));
    const broken = await server(() => ({ status: 503, body: {} }));
    const healthy = await server(() => ({ status: 200, body: modelsBody }));
    const quota = await clientFor([
      `${limited.url}/v1internal`,
      `http://127.0.0.1:${port}/v1internal`,
      `${broken.url}/v1internal`,
      `${healthy.url}/v1internal`,
    ]).fetchAvailableModels('t');
    assert.equal(quota.models.length, 3);
    assert.deepEqual([limited.calls.length, broken.calls.length, healthy.calls.length], [1, 1, 1]);
  });

  test('the last endpoint answer is used when every endpoint fails with a status', async () => {
    const broken = await server(() => ({ status: 503, body: { error: 'down' } }));
    const error = await rejection(clientFor([`${broken.url}/a`, `${broken.url}/b`]).fetchAvailableModels('t'));
    assert.equal(error.code, 'AGW_UPSTREAM_SERVER_ERROR');
    assert.equal(error.upstreamStatus, 503);
    assert.equal(broken.calls.length, 2);
  });

  test('no reachable endpoint is AGW_UPSTREAM_UNREACHABLE', async () => {
    const port = await refusedPort();
    const error = await rejection(clientFor([`http://127.0.0.1:${port}/v1internal`]).fetchAvailableModels('t'));
    assert.equal(error.code, 'AGW_UPSTREAM_UNREACHABLE');
  });
});

describe('retrieveUserQuotaSummary', () => {
  test('converts groups and buckets', async () => {
    const google = await server(() => ({
      status: 200,
      body: {
        groups: [
          {
            displayName: 'Gemini',
            description: 'd',
            buckets: [{ bucketId: 'b1', window: '5h', remainingFraction: 0.25, resetTime: 'r', displayName: 'B1' }, {}],
          },
        ],
      },
    }));
    const groups = await clientFor([`${google.url}/v1internal`]).retrieveUserQuotaSummary('t', 'p');
    assert.deepEqual(groups, [
      {
        display_name: 'Gemini',
        description: 'd',
        buckets: [
          { bucket_id: 'b1', remaining_fraction: 0.25, window: '5h', reset_time: 'r', display_name: 'B1' },
          { bucket_id: '', remaining_fraction: 0 },
        ],
      },
    ]);
    assert.equal(google.calls[0]!.path, '/v1internal:retrieveUserQuotaSummary');
  });

  test('a 4xx (not 401/429) or nothing reachable gives null', async () => {
    const google = await server(() => ({ status: 404, body: {} }));
    assert.equal(await clientFor([`${google.url}/v1internal`]).retrieveUserQuotaSummary('t'), null);
    const port = await refusedPort();
    assert.equal(await clientFor([`http://127.0.0.1:${port}/v1internal`]).retrieveUserQuotaSummary('t'), null);
  });
});

describe('addAccountFromRefreshToken', () => {
  async function fakeGoogle(loadBody: unknown) {
    return server((call) => {
      if (call.path === '/token') return { status: 200, body: { access_token: 'ya29.x', expires_in: 3599 } };
      if (call.path === '/userinfo') return { status: 200, body: { email: 'a@example.com', name: 'Ada' } };
      if (call.path.endsWith(':loadCodeAssist')) return { status: 200, body: loadBody };
      return { status: 500, body: {} };
    });
  }
  function dependencies(url: string) {
    return {
      oauth: createOAuthClient(
        {
          tokenUrl: `${url}/token`,
          authUrl: `${url}/auth`,
          userinfoUrl: `${url}/userinfo`,
          clientId: 'id',
          clientSecret: 'secret',
          oauthClientKey: 'antigravity_enterprise',
          userAgent: 'ua',
          timeoutMs: 5_000,
          scopes: defaultGoogleScopes,
        },
        { dispatcher: agent },
      ),
      codeAssist: clientFor([`${url}/v1internal`], 0),
      now: fixedNow,
    };
  }

  test('builds the reference TokenData with project and tier', async () => {
    const google = await fakeGoogle({ cloudaicompanionProject: 'proj-9', paidTier: { id: 'g1-pro-tier' } });
    const account = await addAccountFromRefreshToken(' 1//abc ', dependencies(google.url));
    assert.deepEqual(account, {
      email: 'a@example.com',
      name: 'Ada',
      tier: 'g1-pro-tier',
      token: {
        access_token: 'ya29.x',
        refresh_token: '1//abc',
        expires_in: 3599,
        expiry_timestamp: 1_700_000_000 + 3599,
        token_type: 'Bearer',
        email: 'a@example.com',
        oauth_client_key: 'antigravity_enterprise',
        is_gcp_tos: false,
        project_id: 'proj-9',
      },
    });
  });

  test('an unresolvable project still returns the account, with projectError', async () => {
    const google = await fakeGoogle({});
    const account = await addAccountFromRefreshToken('1//abc', dependencies(google.url));
    assert.equal(account.email, 'a@example.com');
    assert.equal(account.token.project_id, undefined);
    assert.equal(account.projectError?.code, 'AGW_PROJECT_UNRESOLVED');
  });
});
