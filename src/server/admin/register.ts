/**
 * The admin API (`/api`, documented in docs/api.md). Authentication happens in its scope's hook (access-guard.ts); every
 * handler here may assume an authenticated admin. Changes to accounts go through the store (under its lock)
 * and reload the pool at once, so the console sees the new state without waiting for the file watch.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { accountProxyInput, applyAccountProxy } from '../../accounts/account-proxy.ts';
import { accountView, quotaView } from '../../accounts/account-view.ts';
import { quotaProtectionFrom } from '../../accounts/quota-protection.ts';
import { generateApiKey, updateSettings } from '../../config/edit.ts';
import type { AuthMode } from '../../config/gateway-config.ts';
import { overridingVariable, readConfigObject, readPath } from '../../config/load.ts';
import { type SettingDefinition, settingsTable } from '../../config/settings-table.ts';
import { GatewayError } from '../../errors/catalogue.ts';
import { enrollAccount } from '../../google/enroll-account.ts';
import { tokensFromText } from '../../google/import-tokens.ts';
import { createOAuthFlow, type OAuthFlow, verifyCallback } from '../../google/login-flow.ts';
import { maskSecret, redactValue } from '../../telemetry/redaction.ts';
import { secretsEqual } from '../client-auth.ts';
import type { GatewayServices } from '../services.ts';
import { registerAdminEvents } from './events.ts';
import { registerKeyRoutes } from './keys.ts';
import { type AdminSessions, sessionCookieName } from './sessions.ts';
import { registerSetupApi } from './setup.ts';

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
      .join('; ');
    throw new GatewayError('AGW_INVALID_REQUEST', problems);
  }
  return result.data;
}

interface PendingLogin {
  flow: OAuthFlow;
  status: 'pending' | 'done' | 'failed';
  accountId?: string;
  error?: string;
}

export function registerAdminApi(
  app: FastifyInstance,
  services: GatewayServices,
  sessions: AdminSessions,
  access: { effectiveMode(): AuthMode },
): void {
  const liveStatus = () => new Map(services.pool.status().map((status) => [status.id, status]));
  const viewOptions = () => ({ nowMs: services.now(), protection: quotaProtectionFrom(services.config()) });
  const viewOf = async (idOrEmail: string) => {
    const account = await services.store.get(idOrEmail);
    return accountView(account, liveStatus().get(account.id), viewOptions());
  };
  const requireQuota = () => {
    if (!services.quota) throw new GatewayError('AGW_INTERNAL', 'the quota refresher is not running');
    return services.quota;
  };
  const changed = async (accountId: string) => {
    await services.reloadPool();
    services.events.publish({ type: 'account', accountId });
  };

  app.get('/api/health', async () => ({ status: 'ok', version: services.version }));
  registerSetupApi(app, services);

  // Sessions
  app.post('/api/session', async (request, reply) => {
    const { password } = parseBody(z.object({ password: z.string() }), request.body);
    if (!secretsEqual(password, services.config().auth.adminSecret)) {
      throw new GatewayError('AGW_UNAUTHORIZED', 'wrong admin password');
    }
    const session = sessions.create();
    return reply.header('set-cookie', session.cookie).code(204).send();
  });
  app.get('/api/session', async (request) => ({ authenticated: sessions.isValid(request.headers.cookie) }));
  app.delete('/api/session', async (request, reply) =>
    reply.header('set-cookie', sessions.revoke(request.headers.cookie)).code(204).send(),
  );
  void sessionCookieName;

  // Accounts
  app.get('/api/accounts', async () => {
    const { accounts } = await services.store.list();
    const live = liveStatus();
    const options = viewOptions();
    return { accounts: accounts.map((account) => accountView(account, live.get(account.id), options)) };
  });
  app.get('/api/accounts/:id', async (request) => viewOf((request.params as { id: string }).id));
  app.post('/api/accounts', async (request) => {
    const body = parseBody(
      z.object({ refresh_token: z.string().min(1), proxy_url: z.string().max(2_000).nullish() }),
      request.body,
    );
    // A proxy given with the token carries the onboarding calls too, then stays the account's (issue 18).
    const proxyUrl = accountProxyInput(body.proxy_url);
    const enrolled = await enrollAccount(body.refresh_token, services.google.forProxy(proxyUrl), services.store);
    if (proxyUrl !== null) await services.store.update(enrolled.account.id, applyAccountProxy(proxyUrl));
    await changed(enrolled.account.id);
    // A first quota snapshot right away (the reference does the same); failures do not fail the add.
    await services.quota?.refreshNow([enrolled.account.id]).catch(() => undefined);
    return { account: await viewOf(enrolled.account.id), outcome: enrolled.outcome };
  });
  app.post('/api/accounts/import', async (request) => {
    const body = parseBody(z.object({ text: z.string().min(1).max(5_000_000) }), request.body);
    const tokens = tokensFromText(body.text);
    if (tokens.length === 0) throw new GatewayError('AGW_INVALID_REQUEST', 'no refresh tokens found in the text');
    const results: Array<Record<string, unknown>> = [];
    for (const token of tokens) {
      try {
        const enrolled = await enrollAccount(token, { ...services.google }, services.store);
        results.push({ token: maskSecret(token), email: enrolled.account.email, outcome: enrolled.outcome });
      } catch (error) {
        results.push({ token: maskSecret(token), error: (error as Error).message });
      }
    }
    await services.reloadPool();
    services.events.publish({ type: 'account', accountId: '*' });
    return { results };
  });
  app.delete('/api/accounts/:id', async (request, reply) => {
    const account = await services.store.get((request.params as { id: string }).id);
    await services.store.remove(account.id);
    await changed(account.id);
    return reply.code(204).send();
  });
  app.post('/api/accounts/:id/proxy', async (request) => {
    const body = parseBody(z.object({ enabled: z.boolean(), reason: z.string().max(500).optional() }), request.body);
    const account = await services.store.get((request.params as { id: string }).id);
    if (body.enabled) await services.store.proxyEnable(account.id);
    else await services.store.proxyDisable(account.id, body.reason ?? 'disabled in the console');
    await changed(account.id);
    return viewOf(account.id);
  });
  // The account's own outbound proxy (issue 18); `/proxy` above is the reference's proxy_disabled switch.
  app.put('/api/accounts/:id/outbound-proxy', async (request) => {
    const body = parseBody(z.object({ url: z.string().max(2_000).nullable() }), request.body);
    const url = accountProxyInput(body.url);
    const account = await services.store.get((request.params as { id: string }).id);
    await services.store.update(account.id, applyAccountProxy(url));
    await changed(account.id);
    return viewOf(account.id);
  });
  app.post('/api/accounts/reorder', async (request, reply) => {
    const body = parseBody(z.object({ ids: z.array(z.string()).max(100_000) }), request.body);
    await services.store.reorder(body.ids);
    services.events.publish({ type: 'account', accountId: '*' });
    return reply.code(204).send();
  });
  app.get('/api/accounts/:id/quota', async (request) => {
    let account = await services.store.get((request.params as { id: string }).id);
    const refresh = (request.query as { refresh?: string }).refresh;
    if (refresh === '1' || refresh === 'true') {
      const outcome = await requireQuota().refreshNow([account.id]);
      if (outcome.failed > 0)
        throw new GatewayError(
          'AGW_UPSTREAM_SERVER_ERROR',
          `quota refresh failed: ${outcome.errors[0]?.message ?? 'unknown error'}`,
        );
      account = await services.store.get(account.id);
    }
    return { id: account.id, quota: account.quota ?? null, protected_models: account.protected_models ?? [] };
  });
  app.post('/api/quota/refresh', async () => {
    const outcome = await requireQuota().refreshNow();
    return { refreshed: outcome.refreshed, failed: outcome.failed, skipped: outcome.skipped, errors: outcome.errors };
  });
  // One warm-up round now (docs/operations.md, "Warm-up"), whatever scheduled_warmup.enabled says.
  app.post('/api/warm-up', async (request) => {
    if (!services.warmUp) throw new GatewayError('AGW_INTERNAL', 'the warm-up is not running');
    const body = parseBody(
      z.object({ account: z.string().min(1).max(320).optional(), dry_run: z.boolean().default(false) }),
      request.body,
    );
    const accountIds = body.account === undefined ? undefined : [(await services.store.get(body.account)).id];
    const outcome = await services.warmUp.runNow({
      dryRun: body.dry_run,
      trigger: 'manual',
      ...(accountIds === undefined ? {} : { accountIds }),
    });
    return {
      dry_run: outcome.dryRun,
      calls: outcome.calls.map((call) => ({
        account_id: call.accountId,
        email: call.email,
        family: call.family,
        model: call.model,
        reason: call.reason,
        ok: call.ok,
        error_code: call.errorCode ?? null,
      })),
      skipped: outcome.skipped.map((skip) => ({
        account_id: skip.accountId,
        email: skip.email,
        family: skip.family ?? null,
        reason: skip.reason,
      })),
    };
  });
  app.get('/api/quota', async () => {
    const { accounts } = await services.store.list();
    return {
      accounts: accounts.map((account) => ({
        id: account.id,
        email: account.email,
        protected_models: account.protected_models ?? [],
        ...(quotaView(account) ?? { last_updated: null, tier: null, models: [], groups: [] }),
      })),
    };
  });

  // OAuth for the console: the flow's state is checked on the public callback (the reference skips it).
  const logins = new Map<string, PendingLogin>();
  app.post('/api/oauth/start', async (request) => {
    const host = request.headers.host ?? `127.0.0.1:${services.config().server.port}`;
    const flow = createOAuthFlow(services.google.settings, `http://${host}/auth/callback`, services.now);
    logins.set(flow.state, { flow, status: 'pending' });
    for (const [state, login] of logins)
      if (services.now() - login.flow.createdAtMs > 15 * 60_000) logins.delete(state);
    return { url: flow.url, state: flow.state };
  });
  app.get('/api/oauth/status', async (request) => {
    const state = (request.query as { state?: string }).state ?? '';
    const login = logins.get(state);
    if (!login) throw new GatewayError('AGW_NOT_FOUND', 'no sign-in with that state (it may have expired)');
    return {
      status: login.status,
      ...(login.accountId ? { account: await viewOf(login.accountId) } : {}),
      ...(login.error ? { error: login.error } : {}),
    };
  });
  app.get('/auth/callback', async (request, reply) => {
    const query = request.query as Record<string, string>;
    const login = logins.get(query['state'] ?? '');
    const page = (title: string, text: string, status: number) =>
      reply
        .code(status)
        .type('text/html; charset=utf-8')
        .send(`<!doctype html><meta charset="utf-8"><title>${title}</title><h1>${title}</h1><p>${text}</p>`);
    if (login?.status !== 'pending') {
      return page(
        'Sign-in not recognised',
        'This answer does not belong to a sign-in started from this gateway. Start again from the console.',
        400,
      );
    }
    try {
      const { code } = verifyCallback(login.flow, query);
      const tokens = await services.google.oauth.exchangeCode({
        code,
        redirectUri: login.flow.redirectUri,
        codeVerifier: login.flow.codeVerifier,
      });
      const enrolled = await enrollAccount(tokens.refreshToken, { ...services.google }, services.store);
      login.status = 'done';
      login.accountId = enrolled.account.id;
      await changed(enrolled.account.id);
      return page(
        'Account added',
        `${escapeHtml(enrolled.account.email)} is ${enrolled.outcome}. You can close this tab.`,
        200,
      );
    } catch (error) {
      login.status = 'failed';
      login.error = (error as Error).message;
      return page('Sign-in failed', escapeHtml(login.error), 400);
    }
  });

  // Pool, status, config
  app.get('/api/pool', async () => {
    const statuses = services.pool.status();
    const counts = { usable: 0, cooling: 0, disabled: 0, proxy_disabled: 0, validation_blocked: 0, other: 0 };
    for (const status of statuses) {
      if (status.state === 'active') counts.usable += 1;
      else if (status.state === 'cooling') counts.cooling += 1;
      else if (status.state === 'disabled') counts.disabled += 1;
      else if (status.state === 'proxy-disabled') counts.proxy_disabled += 1;
      else if (status.state === 'validation-blocked') counts.validation_blocked += 1;
      else counts.other += 1;
    }
    return {
      counts,
      accounts: statuses.map((status) => ({
        id: status.id,
        state: status.state,
        ...(status.reason ? { reason: status.reason } : {}),
        ...(status.untilMs ? { until: Math.ceil(status.untilMs / 1000) } : {}),
        ...(status.url ? { url: status.url } : {}),
        models: status.cooldowns.map((cooldown) => ({
          model: cooldown.model,
          until: Math.ceil(cooldown.untilMs / 1000),
          reason: cooldown.reason,
        })),
      })),
    };
  });
  app.get('/api/status', async (request) => {
    const config = services.config();
    const statuses = services.pool.status();
    const minute = services.requestLog.count({ since: services.now() - 60_000 });
    const minuteErrors = services.requestLog.count({ since: services.now() - 60_000, outcome: 'error' });
    const hour = services.requestLog.count({ since: services.now() - 3_600_000 });
    const hourErrors = services.requestLog.count({ since: services.now() - 3_600_000, outcome: 'error' });
    return {
      version: services.version,
      base_url: `http://${request.headers.host ?? `${config.server.host}:${config.server.port}`}`,
      port: config.server.port,
      auth_mode: config.auth.mode,
      effective_auth_mode: access.effectiveMode(),
      api_key: maskSecret(config.auth.apiKey),
      accounts: statuses.length,
      usable: statuses.filter((status) => status.state === 'active').length,
      requests_per_minute: minute,
      error_rate: hour === 0 ? 0 : hourErrors / hour,
      errors_last_minute: minuteErrors,
    };
  });
  app.get('/api/config', async () => configView(services));
  app.patch('/api/config', async (request) => {
    const body = parseBody(z.object({ changes: z.record(z.string(), z.unknown()) }), request.body);
    await updateSettings(services.config().dataDir, body.changes);
    await services.liveConfig.reload();
    return configView(services);
  });
  app.post('/api/config/api-key', async () => {
    const apiKey = generateApiKey();
    await updateSettings(services.config().dataDir, { 'proxy.api_key': apiKey });
    await services.liveConfig.reload();
    return { api_key: apiKey };
  });

  // Request log
  app.get('/api/logs', async (request) => {
    const query = parseBody(
      z.object({
        limit: z.coerce.number().int().min(1).max(1000).default(50),
        offset: z.coerce.number().int().min(0).max(100_000).default(0),
        errors_only: z.enum(['true', 'false', '1', '0']).optional(),
        protocol: z.enum(['openai', 'anthropic', 'gemini', 'admin', 'warm-up']).optional(),
        model: z.string().max(200).optional(),
        account_id: z.string().max(200).optional(),
        key_id: z.string().max(200).optional(),
      }),
      request.query,
    );
    const filter = {
      ...(query.errors_only === 'true' || query.errors_only === '1' ? { outcome: 'error' as const } : {}),
      ...(query.protocol ? { protocol: query.protocol } : {}),
      ...(query.model ? { model: query.model } : {}),
      ...(query.account_id ? { accountId: query.account_id } : {}),
      ...(query.key_id ? { keyId: query.key_id } : {}),
    };
    return {
      rows: services.requestLog.query({ ...filter, limit: query.limit, offset: query.offset }),
      total: services.requestLog.count(filter),
      // The request log is this gateway's own: with several gateways on one pool, each answers for itself.
      instance: services.instanceId ?? null,
    };
  });
  app.get('/api/stats/usage', async (request) => {
    const query = parseBody(
      z.object({
        group_by: z.enum(['account', 'model', 'key', 'hour', 'day']).default('day'),
        since: z.coerce.number().int().min(0).optional(),
      }),
      request.query,
    );
    return {
      rows: services.requestLog.usage({
        groupBy: query.group_by,
        ...(query.since === undefined ? {} : { since: query.since }),
      }),
      instance: services.instanceId ?? null,
    };
  });

  // User keys
  registerKeyRoutes(app, services, parseBody);

  registerAdminEvents(app, services);
}

async function configView(services: GatewayServices): Promise<{ settings: Array<Record<string, unknown>> }> {
  const file = await readConfigObject(services.config().dataDir);
  return {
    settings: Object.values(settingsTable).map((definition: SettingDefinition) => {
      const stored = readPath(file, definition.path);
      const variable = overridingVariable(definition.env);
      const value = stored ?? definition.fallback;
      return {
        key: definition.path,
        // Secrets masked; everything else through the scrubber (a proxy URL's credentials).
        value: definition.secret && typeof value === 'string' && value !== '' ? maskSecret(value) : redactValue(value),
        source: variable ? `env ${variable}` : stored === undefined ? 'default' : 'file',
        secret: definition.secret === true,
        description: definition.description,
      };
    }),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
