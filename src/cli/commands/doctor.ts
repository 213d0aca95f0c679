/**
 * `agw doctor`: checks what usually goes wrong — the data directory, the configuration, the accounts, the port,
 * Google's reachability — and says what to do about each problem. Exit code 0 when everything is fine, else 1.
 */
import { access, constants, readdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Command } from 'commander';
import { request } from 'undici';
import { judgeAccount } from '../../accounts/judge-account.ts';
import { noQuotaProtection, quotaProtectionFrom } from '../../accounts/quota-protection.ts';
import { loadConfig, resolveDataDir } from '../../config/load.ts';
import { toGatewayError } from '../../errors/catalogue.ts';
import { openConfiguredStore } from '../../store/open-store.ts';
import type { RedisConnection } from '../../store/redis/connection.ts';
import { createOutboundProxies, type OutboundProxies } from '../../upstream/proxy/outbound-proxies.ts';
import { proxyLabel } from '../../upstream/proxy/proxy-url.ts';
import { printJson, printLine } from '../output.ts';
import type { GlobalOptions } from './global-options.ts';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when the check failed. */
  fix?: string;
}

async function portState(host: string, port: number): Promise<'free' | 'agw' | 'taken'> {
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
  if (free) return 'free';
  try {
    const response = await fetch(`http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/healthz`, {
      signal: AbortSignal.timeout(2000),
    });
    const body = (await response.json()) as { status?: string };
    return body.status === 'ok' ? 'agw' : 'taken';
  } catch {
    return 'taken';
  }
}

/**
 * Any HTTP answer means the host is reachable; only network failures count as unreachable. The call takes the
 * route agw's own calls take (the global or environment proxy, unless NO_PROXY exempts the host).
 */
async function reachable(url: string, proxies: OutboundProxies): Promise<string | undefined> {
  const proxy = proxies.choose(url);
  try {
    const response = await request(url, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(5000),
      ...(proxy === undefined ? {} : { dispatcher: proxies.sharedDispatcher(proxy) }),
    });
    await response.body.dump();
    return undefined;
  } catch (error) {
    const proxyFailure = proxies.proxyFailure(error, proxy);
    if (proxyFailure !== undefined) return proxyFailure.message;
    return String((error as Error).cause ?? (error as Error).message);
  }
}

/** The log directory and files name accounts: owner-only, like the data directory (agw tightens them when it logs). */
async function logsCheck(directory: string): Promise<DoctorCheck> {
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch {
    return { name: 'logs', ok: true, detail: `${directory} does not exist yet` };
  }
  const open: string[] = [];
  for (const name of ['.', ...entries]) {
    const path = join(directory, name);
    const mode = (await stat(path).catch(() => undefined))?.mode;
    if (mode !== undefined && (mode & 0o077) !== 0)
      open.push(`${name === '.' ? 'logs/' : name} ${(mode & 0o777).toString(8)}`);
  }
  return {
    name: 'logs',
    ok: open.length === 0,
    detail: open.length === 0 ? `${directory} is private` : `readable by other users: ${open.slice(0, 5).join(', ')}`,
    fix: `they hold account emails: chmod 700 ${directory} && chmod 600 ${directory}/*`,
  };
}

/** Whether the shared pool's Redis answers, and where it is (never with its password). */
async function redisCheck(connection: RedisConnection): Promise<DoctorCheck> {
  try {
    const answer = await connection.commands.ping();
    return { name: 'redis', ok: answer === 'PONG', detail: `${connection.where} answers (shared pool)` };
  } catch (error) {
    return {
      name: 'redis',
      ok: false,
      detail: `${connection.where}: ${(error as Error).message}`,
      fix: 'start Redis or correct agw.redis_url (AGW_REDIS_URL); the gateways keep serving from their last known state meanwhile',
    };
  }
}

export async function runDoctor(globals: GlobalOptions): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const major = Number(process.versions.node.split('.')[0]);
  checks.push({
    name: 'node',
    ok: major >= 24,
    detail: `Node ${process.versions.node}`,
    fix: 'run agw through `npm exec -- agw` so the project’s Node 24 is used',
  });

  const dataDir = resolveDataDir(globals);
  try {
    const info = await stat(dataDir);
    await access(dataDir, constants.W_OK);
    const mode = info.mode & 0o777;
    checks.push({
      name: 'data directory',
      ok: (mode & 0o077) === 0,
      detail: `${dataDir} (mode ${mode.toString(8)}${(mode & 0o077) === 0 ? '' : ', readable by other users'})`,
      fix: `it holds refresh tokens: chmod 700 ${dataDir}`,
    });
    checks.push(await logsCheck(join(dataDir, 'logs')));
  } catch (error) {
    checks.push({
      name: 'data directory',
      ok: false,
      detail: `${dataDir}: ${(error as Error).message}`,
      fix: 'run `agw serve` once to create it, or pass --data-dir / AGW_DATA_DIR',
    });
  }

  let config: Awaited<ReturnType<typeof loadConfig>> | undefined;
  try {
    config = await loadConfig(globals);
    checks.push({ name: 'configuration', ok: true, detail: 'gui_config.json and the environment are valid' });
  } catch (error) {
    checks.push({
      name: 'configuration',
      ok: false,
      detail: toGatewayError(error).message,
      fix: 'fix the listed keys with `agw config set KEY VALUE`',
    });
  }

  // With a shared pool the accounts live in Redis: check it, and count the accounts the gateways really use.
  const redisUrl = config?.shared.redisUrl ?? null;
  const opened = openConfiguredStore({ dataDir, redisUrl }, { mode: 'cli' });
  if (opened.redis !== undefined) checks.push(await redisCheck(opened.redis.connection));
  try {
    const { accounts, problems } = await opened.store.list();
    const protection = config ? quotaProtectionFrom(config) : noQuotaProtection;
    const active = accounts.filter(
      (account) => judgeAccount(account, protection, Date.now()).state === 'active',
    ).length;
    const disabled = accounts.filter((account) => account.disabled).length;
    checks.push({
      name: 'accounts',
      ok: active > 0 && problems.length === 0,
      detail: `${accounts.length} accounts, ${active} active, ${disabled} disabled${problems.map((problem) => `; ${problem.file}: ${problem.message}`).join('')}`,
      fix:
        problems.length > 0
          ? 'corrupt files are skipped and left alone: fix or remove them'
          : 'add one with `agw accounts login` or `agw accounts add --refresh-token T`; re-add disabled ones with a new token',
    });
  } catch (error) {
    checks.push({ name: 'accounts', ok: false, detail: toGatewayError(error).message });
  } finally {
    await opened.close();
  }

  if (config) {
    const state = await portState(config.server.host, config.server.port);
    checks.push({
      name: 'port',
      ok: state !== 'taken',
      detail: `${config.server.host}:${config.server.port} is ${state === 'free' ? 'free' : state === 'agw' ? 'served by a running agw' : 'taken by another program'}`,
      fix: 'choose another port: `agw config set proxy.port 8046` or `agw serve --port 8046`',
    });
    const proxies = createOutboundProxies(() => config.outbound);
    for (const [name, url] of [
      ['OAuth token endpoint', config.google.tokenUrl],
      ...config.upstream.endpoints.map((endpoint, index) => [
        `upstream endpoint ${index + 1}`,
        `${endpoint}:loadCodeAssist`,
      ]),
    ] as Array<[string, string]>) {
      const failure = await reachable(url, proxies);
      const proxy = proxies.choose(url);
      const route = proxy === undefined ? '' : ` (through the ${proxy.source} proxy ${proxyLabel(proxy.url)})`;
      checks.push({
        name,
        ok: failure === undefined,
        detail: failure === undefined ? `${new URL(url).host} answers${route}` : `${url}: ${failure}`,
        fix: 'check the network or proxy settings (proxy.upstream_proxy, HTTPS_PROXY, NO_PROXY); endpoints can be changed with AGW_UPSTREAM_ENDPOINTS / AGW_OAUTH_TOKEN_URL',
      });
    }
    await proxies.close();
  }
  return checks;
}

export function registerDoctorCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('doctor')
    .description('check the data dir, configuration, accounts, port and Google reachability; print what to fix')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const checks = await runDoctor(globals());
      if (options.json) printJson(checks);
      else {
        for (const check of checks) {
          printLine(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}`);
          if (!check.ok && check.fix) printLine(`      → ${check.fix}`);
        }
      }
      if (checks.some((check) => !check.ok)) process.exitCode = 1;
    });
}
