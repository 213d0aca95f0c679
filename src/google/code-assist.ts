/**
 * Cloud Code management calls: loadCodeAssist, onboardUser, fetchAvailableModels, retrieveUserQuotaSummary
 * (accounts-tokens-pool.md §5, §7.1-7.3), sent through the one upstream transport (src/upstream/transport.ts) that
 * generation uses too, under the management endpoint policy: endpoints are tried in order on 429, 5xx and network
 * errors. A 401 always surfaces as AGW_UPSTREAM_UNAUTHORIZED with upstreamStatus 401 so the caller can refresh the
 * access token and try once more (the reference lost that status, weakness 13). No other retries.
 */
import { type ErrorCode, GatewayError } from '../errors/catalogue.ts';
import type { ModelQuota, QuotaBucket, QuotaData, QuotaGroup } from '../store/account-schema.ts';
import type { EndpointPolicy, UpstreamTransport } from '../upstream/transport.ts';
import { excerpt, parseJson } from './http.ts';
import { type CodeAssistSettings, googleDefaults } from './settings.ts';

export interface LoadCodeAssistResult {
  projectId?: string;
  /** Subscription tier label (§7.3), e.g. `g1-pro-tier` / `Google AI Pro` / `free-tier (Restricted)`. */
  tier?: string;
  /** The tier id to onboard with when no project exists: the default allowed tier. */
  onboardTierId?: string;
  /** Google One AI credits (`paidTier.availableCredits`, type GOOGLE_ONE_AI), when the account reports any. */
  credits?: { amount: number; minimumForUsage: number };
}

export interface CodeAssistClient {
  loadCodeAssist(accessToken: string, signal?: AbortSignal): Promise<LoadCodeAssistResult>;
  onboardUser(accessToken: string, tierId: string, signal?: AbortSignal): Promise<string>;
  resolveProject(accessToken: string, signal?: AbortSignal): Promise<{ projectId: string; tier?: string }>;
  fetchAvailableModels(
    accessToken: string,
    projectId?: string,
    options?: { subscriptionTier?: string; signal?: AbortSignal },
  ): Promise<QuotaData>;
  retrieveUserQuotaSummary(accessToken: string, projectId?: string, signal?: AbortSignal): Promise<QuotaGroup[] | null>;
}

export interface CodeAssistDependencies {
  /** The upstream transport (its owner closes it). */
  transport: UpstreamTransport;
  /** The account's own outbound proxy URL (issue 18); absent: the global/environment proxy, if any. */
  accountProxy?: string | null | undefined;
  /** Unix milliseconds; QuotaData.last_updated is derived from it. */
  now?: () => number;
  /** Waits between onboarding polls; tests pass an instant one. */
  sleep?: (milliseconds: number) => Promise<void>;
}

const ideMetadata = { ideType: 'ANTIGRAVITY' } as const;
const keptModelPrefixes = ['gemini', 'claude', 'gpt', 'image', 'imagen'];
/** Onboarding uses the free tier when Google names no default tier (the same choice gemini-cli makes for new users). */
const fallbackOnboardTierId = 'free-tier';

type Json = Record<string, unknown>;

/** A management answer, read whole. */
interface ManagementResult {
  status: number;
  text: string;
  /** The base URL that answered. */
  endpoint: string;
}

function asRecord(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** `cloudaicompanionProject` is a string in loadCodeAssist and `{id, name}` in onboardUser; accept both. */
function projectIdOf(value: unknown): string | undefined {
  return nonEmptyString(value) ?? nonEmptyString(asRecord(value)?.['id']);
}

function tierLabel(value: unknown): string | undefined {
  const tier = asRecord(value);
  return tier ? (nonEmptyString(tier['name']) ?? nonEmptyString(tier['id'])) : undefined;
}

function isDefaultTier(tier: Json): boolean {
  return tier['isDefault'] === true || tier['is_default'] === true;
}

/**
 * The subscription tier as the reference derives it (§7.3): `paidTier` first; else, when Google lists no
 * ineligible tiers, `currentTier`; else the default allowed tier marked `(Restricted)`.
 */
export function deriveSubscriptionTier(body: unknown): string | undefined {
  const record = asRecord(body) ?? {};
  const paid = tierLabel(record['paidTier']);
  if (paid !== undefined) return paid;
  const ineligible = record['ineligibleTiers'];
  if (!Array.isArray(ineligible) || ineligible.length === 0) {
    const current = tierLabel(record['currentTier']);
    if (current !== undefined) return current;
    // Fall through: with no current tier the default allowed tier is still the best description.
  }
  const allowed = Array.isArray(record['allowedTiers']) ? record['allowedTiers'] : [];
  const defaultTier = allowed.map(asRecord).find((tier) => tier !== undefined && isDefaultTier(tier));
  const label = tierLabel(defaultTier);
  return label === undefined ? undefined : `${label} (Restricted)`;
}

function defaultAllowedTierId(body: Json): string | undefined {
  const allowed = Array.isArray(body['allowedTiers']) ? body['allowedTiers'] : [];
  const defaultTier = allowed.map(asRecord).find((tier) => tier !== undefined && isDefaultTier(tier));
  return nonEmptyString(defaultTier?.['id']);
}

function codeForStatus(status: number, body: string): ErrorCode {
  if (status === 400) return 'AGW_UPSTREAM_BAD_REQUEST';
  if (status === 401) return 'AGW_UPSTREAM_UNAUTHORIZED';
  if (status === 403)
    return body.includes('VALIDATION_REQUIRED') ? 'AGW_UPSTREAM_VALIDATION_REQUIRED' : 'AGW_UPSTREAM_FORBIDDEN';
  if (status === 404) return 'AGW_UPSTREAM_NOT_FOUND';
  if (status === 429) return 'AGW_UPSTREAM_RATE_LIMITED';
  return 'AGW_UPSTREAM_SERVER_ERROR';
}

function statusError(method: string, result: ManagementResult): GatewayError {
  return new GatewayError(
    codeForStatus(result.status, result.text),
    `${method} answered HTTP ${result.status}: ${excerpt(result.text, 300)}`,
    { upstreamStatus: result.status, details: { endpoint: result.endpoint, method } },
  );
}

/** Management calls move on after a network error, 429 or 5xx (Google's own clients do the same). */
export function managementPolicy(endpoints: readonly string[]): EndpointPolicy {
  return { endpoints, fallbackOn: (status) => status === 429 || status >= 500 };
}

/** Creates the management client bound to one settings object. */
export function createCodeAssistClient(
  settings: CodeAssistSettings,
  dependencies: CodeAssistDependencies,
): CodeAssistClient {
  const now = dependencies.now ?? Date.now;
  const sleep =
    dependencies.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  const policy = managementPolicy(settings.endpoints);
  const timeouts = { headersMs: settings.timeoutMs, chunkGapMs: settings.timeoutMs, totalMs: settings.timeoutMs };

  /**
   * POSTs `body` under `route` (the endpoints in order, by default); answers the first answer the policy does not
   * move on from, or the last endpoint's; throws AGW_UPSTREAM_UNREACHABLE / _TIMEOUT when no endpoint answered.
   */
  async function post(
    method: string,
    accessToken: string,
    body: unknown,
    signal: AbortSignal | undefined,
    route: EndpointPolicy = policy,
  ): Promise<ManagementResult> {
    const response = await dependencies.transport.send({
      method,
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
        'user-agent': settings.userAgent,
      },
      body: JSON.stringify(body),
      signal,
      proxy: dependencies.accountProxy,
      policy: route,
      timeouts,
    });
    return { status: response.status, text: await response.text(), endpoint: response.endpoint };
  }

  async function loadCodeAssist(accessToken: string, signal?: AbortSignal): Promise<LoadCodeAssistResult> {
    const result = await post('loadCodeAssist', accessToken, { metadata: ideMetadata }, signal);
    if (result.status < 200 || result.status >= 300) throw statusError('loadCodeAssist', result);
    const body = asRecord(parseJson(result.text));
    if (!body) {
      throw new GatewayError('AGW_UPSTREAM_INVALID_RESPONSE', 'loadCodeAssist answered a body that is not JSON');
    }
    const answer: LoadCodeAssistResult = {};
    const projectId = projectIdOf(body['cloudaicompanionProject']);
    if (projectId !== undefined) answer.projectId = projectId;
    const tier = deriveSubscriptionTier(body);
    if (tier !== undefined) answer.tier = tier;
    const onboardTierId = defaultAllowedTierId(body) ?? nonEmptyString(asRecord(body['currentTier'])?.['id']);
    if (onboardTierId !== undefined) answer.onboardTierId = onboardTierId;
    const credits = googleOneCredits(body);
    if (credits !== undefined) answer.credits = credits;
    return answer;
  }

  async function onboardUser(accessToken: string, tierId: string, signal?: AbortSignal): Promise<string> {
    const polls = settings.onboardPollAttempts ?? googleDefaults.onboardPollAttempts;
    const interval = settings.onboardPollIntervalMs ?? googleDefaults.onboardPollIntervalMs;
    const requestBody = { tierId, metadata: ideMetadata };
    // onboardUser answers a long-running operation; re-posting it is how Google's own clients poll until done.
    for (let attempt = 0; attempt <= polls; attempt += 1) {
      if (attempt > 0) await sleep(interval);
      const result = await post('onboardUser', accessToken, requestBody, signal);
      if (result.status < 200 || result.status >= 300) throw statusError('onboardUser', result);
      const operation = asRecord(parseJson(result.text));
      if (!operation) {
        throw new GatewayError('AGW_UPSTREAM_INVALID_RESPONSE', 'onboardUser answered a body that is not JSON');
      }
      if (operation['done'] !== true) continue;
      const projectId = projectIdOf(asRecord(operation['response'])?.['cloudaicompanionProject']);
      if (projectId !== undefined) return projectId;
      throw new GatewayError(
        'AGW_PROJECT_UNRESOLVED',
        'onboardUser finished without assigning a Cloud Code project to this account',
      );
    }
    throw new GatewayError(
      'AGW_PROJECT_UNRESOLVED',
      `onboardUser did not finish after ${polls + 1} calls; try adding the account again later`,
    );
  }

  async function resolveProject(
    accessToken: string,
    signal?: AbortSignal,
  ): Promise<{ projectId: string; tier?: string }> {
    let loaded: LoadCodeAssistResult;
    let projectId: string;
    try {
      loaded = await loadCodeAssist(accessToken, signal);
      projectId =
        loaded.projectId ?? (await onboardUser(accessToken, loaded.onboardTierId ?? fallbackOnboardTierId, signal));
    } catch (error) {
      // A rejected access token stays distinguishable (refreshing it and trying again can succeed), and so does a
      // dead outbound proxy (the account's route, not its project).
      if (
        GatewayError.is(error) &&
        (error.code === 'AGW_UPSTREAM_UNAUTHORIZED' ||
          error.code === 'AGW_PROJECT_UNRESOLVED' ||
          error.code === 'AGW_ACCOUNT_PROXY_FAILED')
      ) {
        throw error;
      }
      if (signal?.aborted) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new GatewayError(
        'AGW_PROJECT_UNRESOLVED',
        `Could not resolve the account's Cloud Code project (loadCodeAssist, then onboardUser): ${reason}`,
        {
          cause: error,
          ...(GatewayError.is(error) && error.upstreamStatus ? { upstreamStatus: error.upstreamStatus } : {}),
        },
      );
    }
    return loaded.tier === undefined ? { projectId } : { projectId, tier: loaded.tier };
  }

  async function fetchAvailableModels(
    accessToken: string,
    projectId?: string,
    options: { subscriptionTier?: string; signal?: AbortSignal } = {},
  ): Promise<QuotaData> {
    const project = projectId?.trim() ? projectId : undefined;
    const body = project ? { project } : {};
    let result = await post('fetchAvailableModels', accessToken, body, options.signal);
    if (result.status === 403 && project) {
      // A 403 with a project may mean the project is wrong for this account; Google's model list still
      // answers without one, so try once more on the same endpoint without it.
      const sameEndpoint = { endpoints: [result.endpoint], fallbackOn: () => false };
      result = await post('fetchAvailableModels', accessToken, {}, options.signal, sameEndpoint);
    }
    const lastUpdated = Math.floor(now() / 1000);
    const base: QuotaData = { models: [], last_updated: lastUpdated, is_forbidden: false, model_forwarding_rules: {} };
    if (options.subscriptionTier !== undefined) base.subscription_tier = options.subscriptionTier;
    if (result.status === 403) {
      return { ...base, is_forbidden: true, forbidden_reason: excerpt(result.text, 300) };
    }
    if (result.status < 200 || result.status >= 300) throw statusError('fetchAvailableModels', result);
    const parsed = asRecord(parseJson(result.text));
    if (!parsed) {
      throw new GatewayError('AGW_UPSTREAM_INVALID_RESPONSE', 'fetchAvailableModels answered a body that is not JSON');
    }
    return { ...base, ...convertAvailableModels(parsed) };
  }

  async function retrieveUserQuotaSummary(
    accessToken: string,
    projectId?: string,
    signal?: AbortSignal,
  ): Promise<QuotaGroup[] | null> {
    const body = projectId?.trim() ? { project: projectId } : {};
    let result: ManagementResult;
    try {
      result = await post('retrieveUserQuotaSummary', accessToken, body, signal);
    } catch (error) {
      if (GatewayError.is(error)) return null; // best effort: no endpoint answered
      throw error;
    }
    if (result.status === 401) throw statusError('retrieveUserQuotaSummary', result);
    if (result.status < 200 || result.status >= 300) return null;
    const parsed = asRecord(parseJson(result.text));
    return parsed ? convertQuotaGroups(parsed) : null;
  }

  return { loadCodeAssist, onboardUser, resolveProject, fetchAvailableModels, retrieveUserQuotaSummary };
}

/** `paidTier.availableCredits[]` of type GOOGLE_ONE_AI (amounts are decimal strings). */
function googleOneCredits(body: Json): { amount: number; minimumForUsage: number } | undefined {
  const list = asRecord(body['paidTier'])?.['availableCredits'];
  if (!Array.isArray(list)) return undefined;
  for (const raw of list) {
    const credit = asRecord(raw);
    if (credit?.['creditType'] !== 'GOOGLE_ONE_AI') continue;
    const amount = Number(credit['creditAmount']);
    const minimum = Number(credit['minimumCreditAmountForUsage'] ?? 0);
    if (Number.isFinite(amount)) return { amount, minimumForUsage: Number.isFinite(minimum) ? minimum : 0 };
  }
  return undefined;
}

function optional<T>(value: unknown, check: (value: unknown) => value is T): T | undefined {
  return check(value) ? value : undefined;
}
const isString = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';

/** fetchAvailableModels body → the stored quota fields (models and forwarding rules). */
export function convertAvailableModels(body: Json): Pick<QuotaData, 'models' | 'model_forwarding_rules'> {
  const models: ModelQuota[] = [];
  for (const [name, raw] of Object.entries(asRecord(body['models']) ?? {})) {
    const model = asRecord(raw);
    const quotaInfo = asRecord(model?.['quotaInfo']);
    if (!model || !quotaInfo) continue;
    const lowered = name.toLowerCase();
    if (!keptModelPrefixes.some((prefix) => lowered.startsWith(prefix))) continue;
    // No remainingFraction means unknown (issue 16), not 0 %: stored as 100 (what readers of the reference format
    // take as "not exhausted") with `percentage_unknown`, so protection is never triggered by it.
    const fraction = optional(quotaInfo['remainingFraction'], isNumber);
    const entry: ModelQuota = {
      name,
      percentage: fraction === undefined ? 100 : Math.trunc(fraction * 100),
      reset_time: optional(quotaInfo['resetTime'], isString) ?? '',
    };
    if (fraction === undefined) entry.percentage_unknown = true;
    const fields: [keyof ModelQuota, unknown][] = [
      ['display_name', optional(model['displayName'], isString)],
      ['supports_images', optional(model['supportsImages'], isBoolean)],
      ['supports_thinking', optional(model['supportsThinking'], isBoolean)],
      ['thinking_budget', optional(model['thinkingBudget'], isNumber)],
      ['recommended', optional(model['recommended'], isBoolean)],
      ['max_tokens', optional(model['maxTokens'], isNumber)],
      ['max_output_tokens', optional(model['maxOutputTokens'], isNumber)],
    ];
    for (const [key, value] of fields) if (value !== undefined) (entry as Json)[key] = value;
    const mimeTypes = asRecord(model['supportedMimeTypes']);
    if (mimeTypes) {
      entry.supported_mime_types = Object.fromEntries(
        Object.entries(mimeTypes).filter((pair): pair is [string, boolean] => typeof pair[1] === 'boolean'),
      );
    }
    models.push(entry);
  }
  const rules: Record<string, string> = {};
  for (const [oldId, raw] of Object.entries(asRecord(body['deprecatedModelIds']) ?? {})) {
    const newId = nonEmptyString(asRecord(raw)?.['newModelId']);
    if (newId !== undefined) rules[oldId] = newId;
  }
  return { models, model_forwarding_rules: rules };
}

/** retrieveUserQuotaSummary body → QuotaGroup[]. */
export function convertQuotaGroups(body: Json): QuotaGroup[] {
  const groups = Array.isArray(body['groups']) ? body['groups'] : [];
  return groups.flatMap((raw): QuotaGroup[] => {
    const group = asRecord(raw);
    if (!group) return [];
    const buckets = (Array.isArray(group['buckets']) ? group['buckets'] : []).flatMap((rawBucket): QuotaBucket[] => {
      const bucket = asRecord(rawBucket);
      if (!bucket) return [];
      const converted: QuotaBucket = {
        bucket_id: optional(bucket['bucketId'], isString) ?? '',
        remaining_fraction: optional(bucket['remainingFraction'], isNumber) ?? 0,
      };
      const window = optional(bucket['window'], isString);
      if (window !== undefined) converted.window = window;
      const reset = optional(bucket['resetTime'], isString);
      if (reset !== undefined) converted.reset_time = reset;
      const name = optional(bucket['displayName'], isString);
      if (name !== undefined) converted.display_name = name;
      const description = optional(bucket['description'], isString);
      if (description !== undefined) converted.description = description;
      return [converted];
    });
    const converted: QuotaGroup = { display_name: optional(group['displayName'], isString) ?? '', buckets };
    const description = optional(group['description'], isString);
    if (description !== undefined) converted.description = description;
    return [converted];
  });
}
