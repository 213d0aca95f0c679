/**
 * Cloud Code project ids, resolved lazily once per account with one lookup in flight at a time. A failure marks
 * the account (agw_error) and holds it back for a backoff; the next attempt after that tries again. There is no
 * hard-coded fallback project and no failure is pinned for the life of the process (weakness 22a).
 */
import { GatewayError, toGatewayError } from '../errors/catalogue.ts';
import { scrubText } from '../telemetry/redaction.ts';
import { bumpFailure, type PoolEntry } from './account-entry.ts';
import { backoffMs } from './backoff.ts';
import { type PoolContext, persistInBackground } from './context.ts';
import { setAccountBlock } from './cooldowns.ts';
import { coolForProxy } from './failure-effects.ts';

async function runResolve(context: PoolContext, entry: PoolEntry, accessToken: string): Promise<string> {
  try {
    const projectId = await context.projectResolver.resolve(accessToken, entry.proxyUrl);
    if (projectId === '') throw new GatewayError('AGW_PROJECT_UNRESOLVED', 'loadCodeAssist returned no project');
    entry.projectId = projectId;
    const hadError = entry.failures.delete('project');
    persistInBackground(context, 'setProjectId', () => context.storage.setProjectId(entry.id, projectId));
    if (hadError)
      persistInBackground(context, 'setAccountError', () => context.storage.setAccountError(entry.id, null));
    if (entry.accountBlock?.reason === 'PROJECT_UNRESOLVED') entry.accountBlock = undefined;
    context.logger.info({ accountId: entry.id }, `Resolved the Cloud Code project of ${entry.email}`);
    return projectId;
  } catch (thrown) {
    const error = toGatewayError(thrown);
    const text = scrubText(error.message);
    if (error.code === 'AGW_ACCOUNT_PROXY_FAILED') {
      // Nothing is known about the project yet: only the route failed, so nothing is written to the account file.
      coolForProxy(context, entry, text);
      throw error;
    }
    const nowMs = context.clock.now();
    const count = bumpFailure(entry, 'project', nowMs);
    const settings = context.settings;
    const waitMs = backoffMs(settings.projectRetryBackoff, count, context.random, settings.jitterRatio);
    const message = `Project id could not be resolved: ${text}`;
    context.logger.warn({ accountId: entry.id }, `Project id of ${entry.email} unresolved (${text}); retrying later`);
    setAccountBlock(context, entry, { untilMs: nowMs + waitMs, reason: 'PROJECT_UNRESOLVED', message });
    context.emit({ type: 'account-state', accountId: entry.id, state: 'project-unresolved', reason: text });
    persistInBackground(context, 'setAccountError', () => context.storage.setAccountError(entry.id, message));
    throw new GatewayError('AGW_PROJECT_UNRESOLVED', 'An account has no Cloud Code project; another one is tried.');
  }
}

/** The account's project id, resolving it (single-flight) on first use; undefined if the account left meanwhile. */
export async function ensureProjectId(
  context: PoolContext,
  entry: PoolEntry,
  accessToken: string,
): Promise<string | undefined> {
  if (entry.projectId !== undefined) return entry.projectId;
  if (entry.projectFlight === undefined) {
    const flight: Promise<string> = runResolve(context, entry, accessToken).finally(() => {
      if (entry.projectFlight === flight) entry.projectFlight = undefined;
    });
    entry.projectFlight = flight;
  }
  const projectId = await entry.projectFlight;
  return entry.removed ? undefined : projectId;
}
