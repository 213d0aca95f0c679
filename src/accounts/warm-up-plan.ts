/**
 * Which (account, model family) pairs a warm-up round calls, and why the others are left alone. Pure: the same
 * time, accounts, live pool state and history always give the same plan, so the rules are tested with a fake clock
 * and the scheduler (src/server/warm-up-scheduler.ts) only does the I/O.
 *
 * The point of a warm-up is to start an account's short quota window (5 hours) early, so it resets early too. A
 * call helps only when no window is running, so a family is warmed when:
 * - its quota snapshot says the window reset (the reset time passed) and no warm-up was sent since that reset; or
 * - its snapshot shows the quota full (100 %, the window has not started) and was taken after the last warm-up; or
 * - nothing is known about the window (no snapshot, or Google reported no remaining fraction), or the snapshot is
 *   older than the last warm-up, and that warm-up is at least one window length ago.
 * A family whose quota is partly used or spent (a running 5-hour or weekly window) waits for its reset. Accounts
 * that the one account-state judgement keeps out of rotation (disabled, proxy-disabled, forbidden, validation-
 * blocked, cooling down as a whole), and families cooling down or quota-protected on an account, are never called.
 */
import { normalizeModelKey } from '../pool/model-key.ts';
import type { QuotaProtectionSettings } from '../pool/settings.ts';
import { resolveModel } from '../protocols/models.ts';
import type { Account, ModelQuota, QuotaGroup } from '../store/account-schema.ts';
import type { AccountState } from './account-state.ts';
import { judgeAccount, type LiveAccountState, shownState } from './judge-account.ts';

/** What the running pool knows about an account beyond its file. */
export interface WarmUpLiveState extends LiveAccountState {
  /** Model keys the account is cooling down for (a 429 with a reset time, a capacity error, …). */
  readonly coolingModels: ReadonlySet<string>;
}

export interface WarmUpPlanInput {
  readonly nowMs: number;
  readonly accounts: readonly Account[];
  /** By account id; an account the pool does not report is judged by its file alone. */
  readonly live: ReadonlyMap<string, WarmUpLiveState>;
  /** Epoch ms of the last warm-up sent, by {@link warmUpKey}. */
  readonly lastWarmUps: ReadonlyMap<string, number>;
  /** scheduled_warmup.monitored_models: family keys (`claude`) or model names (`gemini-3-flash`). */
  readonly families: readonly string[];
  /** Length of the short quota window, ms. */
  readonly windowMs: number;
  readonly protection: QuotaProtectionSettings;
  /** Only these accounts (ids); all when absent. */
  readonly accountIds?: ReadonlySet<string>;
}

export interface WarmUpCall {
  readonly accountId: string;
  readonly email: string;
  /** The quota family (normalised model key), e.g. `claude`. */
  readonly family: string;
  /** The upstream model the call is sent to. */
  readonly model: string;
  /** Why the call is due, for logs and the dry run. */
  readonly reason: string;
}

export interface WarmUpSkip {
  readonly accountId: string;
  readonly email: string;
  /** Absent when the whole account is left out. */
  readonly family?: string;
  readonly reason: string;
}

export interface WarmUpPlan {
  readonly calls: WarmUpCall[];
  readonly skipped: WarmUpSkip[];
}

/** The history key of one account and family. */
export function warmUpKey(accountId: string, family: string): string {
  return `${accountId} ${family}`;
}

/** The model a family is warmed with when the account's snapshot lists none of its models. */
const defaultModels: Readonly<Record<string, string>> = {
  claude: 'claude-sonnet-4-6',
};

/** Models of a family as the snapshot lists them; `undefined` when there is no snapshot with models at all. */
function familyModels(account: Account, family: string): ModelQuota[] | undefined {
  const models = account.quota?.models ?? [];
  if (models.length === 0) return undefined;
  return models.filter((model) => normalizeModelKey(model.name) === family);
}

/**
 * The model to call for one configured entry: the entry's own upstream model when the account lists it, else a
 * listed model of the family that does not think by its id (cheaper, and a tiny output limit suits it), else the
 * first listed one. Without a snapshot: the entry's upstream model (or the family's default).
 */
function chooseModel(entry: string, family: string, listed: ModelQuota[] | undefined, account: Account): string {
  const forwarding = account.quota?.model_forwarding_rules ?? {};
  const resolved = resolveModel(entry, { customMapping: {}, forwarding }).upstreamModel;
  // A bare family name (`claude`) is no model id: it goes to the family's default model.
  const upstream =
    defaultModels[resolved] ??
    (normalizeModelKey(resolved) === family ? resolved : (defaultModels[family] ?? resolved));
  if (listed === undefined || listed.length === 0) return upstream;
  const named = listed.find((model) => model.name === upstream) ?? listed.find((model) => model.name === entry);
  if (named !== undefined) return named.name;
  return (listed.find((model) => !model.name.includes('thinking')) ?? (listed[0] as ModelQuota)).name;
}

const isClaudeBucket = (group: QuotaGroup, bucketId: string): boolean =>
  /3p|claude|third/i.test(`${bucketId} ${group.display_name} ${group.description ?? ''}`);

/**
 * A running window the quota summary reports for the family: a 5-hour or weekly bucket that is used or spent and
 * whose reset is still ahead. Claude counts against the third-party buckets, every other family against Gemini's.
 */
function runningBucket(account: Account, family: string, nowMs: number): string | undefined {
  for (const group of account.quota?.quota_groups ?? []) {
    for (const bucket of group.buckets) {
      if (isClaudeBucket(group, bucket.bucket_id) !== (family === 'claude')) continue;
      const resetMs = Date.parse(bucket.reset_time ?? '');
      if (!Number.isFinite(resetMs) || resetMs <= nowMs || bucket.remaining_fraction >= 1) continue;
      const window = bucket.window ?? bucket.bucket_id;
      return `${bucket.remaining_fraction <= 0 ? 'spent' : 'in use'} (${window} window resets ${new Date(resetMs).toISOString()})`;
    }
  }
  return undefined;
}

/** Whether one family of one account is due, with the reason either way. */
function windowVerdict(
  account: Account,
  family: string,
  model: string,
  lastMs: number | undefined,
  input: WarmUpPlanInput,
): { due: boolean; reason: string } {
  const { nowMs, windowMs } = input;
  const sinceLast = (): { due: boolean; reason: string } =>
    lastMs === undefined || nowMs - lastMs >= windowMs
      ? { due: true, reason: 'window state unknown, no warm-up within the window length' }
      : { due: false, reason: 'window state unknown, warmed less than a window length ago' };
  const listed = account.quota?.models.find((entry) => entry.name === model);
  const bucket = runningBucket(account, family, nowMs);
  if (listed === undefined || listed.percentage_unknown === true) {
    return bucket === undefined ? sinceLast() : { due: false, reason: `quota ${bucket}` };
  }
  const resetMs = Date.parse(listed.reset_time);
  if (Number.isFinite(resetMs) && resetMs <= nowMs) {
    // The snapshot is older than the reset: the window has reset since, whatever it showed.
    if (lastMs === undefined || lastMs < resetMs)
      return { due: true, reason: `window reset at ${new Date(resetMs).toISOString()}` };
    // Warmed since that reset and no newer snapshot (the CLI alone refreshes none): the window the warm-up started
    // has ended one window length later.
    return nowMs - lastMs >= windowMs
      ? { due: true, reason: 'the window started by the last warm-up has ended' }
      : { due: false, reason: 'already warmed since the last reset' };
  }
  if (bucket !== undefined) return { due: false, reason: `quota ${bucket}` };
  if (listed.percentage < 100) {
    const until = Number.isFinite(resetMs) ? ` until ${new Date(resetMs).toISOString()}` : '';
    return { due: false, reason: `window running (${listed.percentage}% left${until})` };
  }
  const snapshotMs = (account.quota?.last_updated ?? 0) * 1_000;
  if (lastMs === undefined || lastMs < snapshotMs) return { due: true, reason: 'quota full, window not started' };
  // Warmed after the snapshot that showed it full: the window it started runs about one window length.
  return sinceLast();
}

/** States in which an account serves nothing now, whatever the model. */
const outStates: ReadonlySet<AccountState> = new Set([
  'disabled',
  'proxy-disabled',
  'forbidden',
  'validation-blocked',
  'refresh-failing',
  'project-unresolved',
]);

export function planWarmUp(input: WarmUpPlanInput): WarmUpPlan {
  const calls: WarmUpCall[] = [];
  const skipped: WarmUpSkip[] = [];
  const families = [...new Map(input.families.map((entry) => [normalizeModelKey(entry), entry])).entries()];
  for (const account of input.accounts) {
    if (input.accountIds !== undefined && !input.accountIds.has(account.id)) continue;
    const base = { accountId: account.id, email: account.email };
    const judgement = judgeAccount(account, input.protection, input.nowMs);
    const live = input.live.get(account.id);
    const shown = shownState(judgement, live);
    // Cooling as a whole: an account-wide block has an end (`untilMs`); model cooldowns alone leave it usable.
    const blocked = shown.state === 'cooling' && shown.untilMs !== undefined;
    if (!judgement.loaded || outStates.has(shown.state) || blocked) {
      skipped.push({ ...base, reason: `account ${shown.state}${shown.reason ? `: ${shown.reason}` : ''}` });
      continue;
    }
    for (const [family, entry] of families) {
      const listed = familyModels(account, family);
      if (listed !== undefined && listed.length === 0) {
        skipped.push({ ...base, family, reason: 'the account does not offer this family' });
        continue;
      }
      if (live?.coolingModels.has(family) === true) {
        skipped.push({ ...base, family, reason: 'cooling down for this family' });
        continue;
      }
      if (input.protection.enabled && judgement.protectedModels.has(family)) {
        skipped.push({ ...base, family, reason: 'quota-protected' });
        continue;
      }
      const model = chooseModel(entry, family, listed, account);
      const verdict = windowVerdict(
        account,
        family,
        model,
        input.lastWarmUps.get(warmUpKey(account.id, family)),
        input,
      );
      if (verdict.due) calls.push({ ...base, family, model, reason: verdict.reason });
      else skipped.push({ ...base, family, reason: verdict.reason });
    }
  }
  return { calls, skipped };
}
