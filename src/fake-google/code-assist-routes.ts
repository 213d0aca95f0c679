/**
 * v1internal account methods: loadCodeAssist, onboardUser, fetchAvailableModels, retrieveUserQuotaSummary.
 */

import { atLeast } from './client-version.ts';
import { googleError } from './google-errors.ts';
import { sendBody } from './http-util.ts';
import { deprecatedModelIds, fakeModels, retirementOf } from './models.ts';
import type { Exchange, FakeRuntime } from './runtime.ts';
import { type AccountRecord, projectIdFor } from './state.ts';
import type { ModelQuota, Tier } from './types.ts';

const freeTier = {
  id: 'free-tier',
  name: 'Antigravity Free',
  description: 'Free tier for individuals.',
  userDefinedCloudaicompanionProject: false,
};
const standardTier = {
  id: 'standard-tier',
  name: 'Antigravity Standard',
  description: 'Standard tier with a Google Cloud project.',
  userDefinedCloudaicompanionProject: true,
};

const paidTiers: Readonly<Record<Tier, { id: string; name: string } | undefined>> = {
  FREE: undefined,
  PRO: { id: 'g1-pro-tier', name: 'Google AI Pro' },
  ULTRA: { id: 'g1-ultra-tier', name: 'Google AI Ultra' },
};

function accountOf(runtime: FakeRuntime, exchange: Exchange): AccountRecord {
  return runtime.state.requireAccount(exchange.email!);
}

/** The paid tier, with the Google One AI credit balance where CLIProxyAPI reads it (amounts are strings). */
function paidTierView(paid: { id: string; name: string }, account: AccountRecord): Record<string, unknown> {
  if (account.credits === undefined) return { ...paid };
  return {
    ...paid,
    availableCredits: [
      {
        creditType: 'GOOGLE_ONE_AI',
        creditAmount: String(account.credits.amount),
        minimumCreditAmountForUsage: String(account.credits.minimumForUsage),
      },
    ],
  };
}

/** POST :loadCodeAssist — an account without a project is not onboarded: no project and no current tier. */
export function handleLoadCodeAssist(runtime: FakeRuntime, exchange: Exchange): void {
  const account = accountOf(runtime, exchange);
  const body: Record<string, unknown> = {};
  if (account.projectId !== null) {
    body['currentTier'] = account.tier === 'FREE' ? freeTier : standardTier;
  }
  body['allowedTiers'] = [{ ...freeTier, isDefault: true }, standardTier];
  const paid = paidTiers[account.tier];
  if (paid !== undefined && account.projectId !== null) body['paidTier'] = paidTierView(paid, account);
  if (account.projectId !== null) body['cloudaicompanionProject'] = account.projectId;
  body['gcpManaged'] = false;
  sendBody(exchange, 200, body);
}

/** POST :onboardUser — gives the account its project, answering a finished long-running operation. */
export function handleOnboardUser(runtime: FakeRuntime, exchange: Exchange): void {
  const account = accountOf(runtime, exchange);
  account.projectId ??= projectIdFor(account.email);
  sendBody(exchange, 200, {
    name: `operations/onboard-${account.id}`,
    done: true,
    response: {
      '@type': 'type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse',
      cloudaicompanionProject: { id: account.projectId, name: account.projectId },
    },
  });
}

/** A project in the body must be the account's own; a foreign one is a 403 (clients then retry with `{}`). */
function projectAllowed(account: AccountRecord, body: unknown): boolean {
  const project = (body as { project?: unknown } | undefined)?.project;
  return project === undefined || project === '' || project === account.projectId;
}

function forbiddenProject(exchange: Exchange): void {
  const project = String((exchange.body as { project?: unknown }).project);
  sendBody(exchange, 403, googleError(403, `Permission denied on resource project ${project}.`));
}

/** A quota without a known fraction is reported with its reset time only (some free-tier models today). */
function quotaInfoView(quota: ModelQuota): Record<string, unknown> {
  return quota.remainingFraction === null
    ? { resetTime: quota.resetTime }
    : { remainingFraction: quota.remainingFraction, resetTime: quota.resetTime };
}

/** POST :fetchAvailableModels */
export function handleFetchAvailableModels(runtime: FakeRuntime, exchange: Exchange): void {
  const account = accountOf(runtime, exchange);
  if (!projectAllowed(account, exchange.body)) {
    forbiddenProject(exchange);
    return;
  }
  const rules = runtime.settings.rules;
  const models: Record<string, unknown> = {};
  for (const [name, info] of Object.entries(fakeModels)) {
    if (rules.retiredModels && retirementOf(name) !== undefined) continue;
    if (info.versionGated && !atLeast(exchange.clientVersion, rules.clientVersion.gatedModelVersion)) continue;
    models[name] = {
      quotaInfo: quotaInfoView(runtime.state.quotaFor(account, name)),
      displayName: info.displayName,
      supportsImages: info.supportsImages,
      supportsThinking: info.supportsThinking,
      thinkingBudget: info.thinkingBudget,
      recommended: info.recommended,
      maxTokens: info.maxTokens,
      maxOutputTokens: info.maxOutputTokens,
      supportedMimeTypes: info.supportsImages ? { 'image/png': true, 'image/jpeg': true, 'image/webp': true } : {},
    };
  }
  sendBody(exchange, 200, { models, deprecatedModelIds });
}

/** POST :retrieveUserQuotaSummary */
export function handleRetrieveUserQuotaSummary(runtime: FakeRuntime, exchange: Exchange): void {
  const account = accountOf(runtime, exchange);
  if (!projectAllowed(account, exchange.body)) {
    forbiddenProject(exchange);
    return;
  }
  const buckets = runtime.state.bucketsFor(account).map((bucket) => ({
    ...bucket,
    displayName: bucket.window === 'weekly' ? 'Weekly limit' : '5-hour limit',
    description: `${bucket.bucketId.startsWith('3p') ? 'Third-party' : 'Gemini'} models, ${bucket.window} window`,
  }));
  sendBody(exchange, 200, {
    groups: [
      {
        displayName: 'Gemini models',
        description: 'Usage of Gemini models.',
        buckets: buckets.filter((bucket) => bucket.bucketId.startsWith('gemini')),
      },
      {
        displayName: 'Third-party models',
        description: 'Usage of Claude and GPT-OSS models.',
        buckets: buckets.filter((bucket) => bucket.bucketId.startsWith('3p')),
      },
    ],
  });
}
