/** `agw accounts …`: list, show, add, login, import, proxy-disable/enable, outbound-proxy, remove. */
import { readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { accountProxyInput, applyAccountProxy, shownAccountProxy } from '../../accounts/account-proxy.ts';
import { accountView, quotaSummary } from '../../accounts/account-view.ts';
import { judgeAccount } from '../../accounts/judge-account.ts';
import { quotaProtectionFrom } from '../../accounts/quota-protection.ts';
import type { GatewayConfig } from '../../config/gateway-config.ts';
import { loadConfig } from '../../config/load.ts';
import { GatewayError, toGatewayError } from '../../errors/catalogue.ts';
import { createGoogleClients, type GoogleClients } from '../../google/clients.ts';
import { enrollAccount } from '../../google/enroll-account.ts';
import { tokensFromText } from '../../google/import-tokens.ts';
import { completeFromPastedRedirect, startLoopbackLogin } from '../../google/login-flow.ts';
import type { Account } from '../../store/account-schema.ts';
import { type AccountStore, openAccountStore } from '../../store/account-store.ts';
import { openStoreForCommand } from '../../store/open-store.ts';
import { maskSecret } from '../../telemetry/redaction.ts';
import { printJson, printLine, printTable } from '../output.ts';
import type { GlobalOptions } from './global-options.ts';
import { registerQuotaCommand } from './quota.ts';

function formatTime(unixSeconds: number | null | undefined): string {
  return unixSeconds ? new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z') : '';
}

/**
 * The account as `--json` output shows it: the admin API's AccountView (the file alone: no live pool state here),
 * plus the reason, project and token expiry a CLI user asks about.
 */
export function publicAccount(account: Account, config: GatewayConfig): Record<string, unknown> {
  const protection = quotaProtectionFrom(config);
  const nowMs = Date.now();
  return {
    ...accountView(account, undefined, { nowMs, protection }),
    reason: judgeAccount(account, protection, nowMs).reason ?? null,
    project_id: account.token.project_id ?? null,
    access_token_expires_at: formatTime(account.token.expiry_timestamp),
  };
}

async function context(globals: GlobalOptions): Promise<{ config: GatewayConfig; store: AccountStore }> {
  const config = await loadConfig(globals);
  return { config, store: openStoreForCommand({ dataDir: config.dataDir, redisUrl: config.shared.redisUrl }) };
}

/** Runs `work` with Google clients and closes their agents afterwards, so the command exits at once. */
async function withGoogle<T>(config: GatewayConfig, work: (google: GoogleClients) => Promise<T>): Promise<T> {
  const google = createGoogleClients(config);
  try {
    return await work(google);
  } finally {
    await google.close();
  }
}

async function readStandardInput(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

function describeOutcome(outcome: string, account: Account, projectError: string | undefined): string {
  const verb = outcome === 're-enabled' ? 're-enabled (the disabled flag was cleared)' : outcome;
  const warning = projectError ? `\nwarning: no Cloud Code project yet (${projectError}); the pool retries it` : '';
  return `${account.email}: ${verb}${warning}`;
}

/** Tokens from an import file: a JSON array (strings or {refresh_token}), free text with 1//… tokens, or a data dir. */
export async function tokensFromImportSource(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw new GatewayError('AGW_INVALID_REQUEST', `${path} does not exist`);
  if (info.isDirectory()) {
    const store = openAccountStore(path);
    const { accounts } = await store.list();
    return accounts.map((account) => account.token.refresh_token);
  }
  return tokensFromText(await readFile(path, 'utf8'));
}

/** Copies every account of `from` into `to` unchanged (ids, tokens, flags, unknown fields); prints what it did. */
async function copyAccounts(
  from: AccountStore,
  to: AccountStore,
  config: GatewayConfig,
  fromName: string,
  toName = 'Redis',
): Promise<void> {
  if (config.shared.redisUrl === null) {
    throw new GatewayError(
      'AGW_INVALID_REQUEST',
      'agw.redis_url (AGW_REDIS_URL) is not set: there is no shared store to move accounts to or from',
    );
  }
  const { accounts, problems } = await from.list();
  for (const problem of problems) printLine(`skipped ${problem.file}: ${problem.message}`);
  const counts = { added: 0, replaced: 0 };
  for (const account of accounts) {
    const outcome = await to.importAccount(account);
    counts[outcome] += 1;
    printLine(`${account.email}: ${outcome}`);
  }
  printLine(`done: ${counts.added} added, ${counts.replaced} replaced, from ${fromName} to ${toName}`);
}

/** The loopback sign-in, then the enrolment of the account it produced. */
async function signIn(
  google: GoogleClients,
  store: AccountStore,
  options: { browser: boolean; timeout: string; proxy?: string },
): Promise<void> {
  // The account's own proxy, when given, carries the code exchange and the onboarding calls too.
  const proxyUrl = accountProxyInput(options.proxy);
  const route = google.forProxy(proxyUrl);
  const login = await startLoopbackLogin({
    settings: google.settings,
    timeoutMs: Number(options.timeout) * 1000,
    oauth: route.oauth,
  });
  printLine('Open this URL in a browser and sign in with the Google account to add:');
  printLine(login.url);
  let tokens: Awaited<typeof login.result>;
  if (options.browser) {
    printLine(`Waiting for the sign-in (callback on ${login.redirectUri}) …`);
    tokens = await login.result;
  } else {
    const reader = createInterface({ input: process.stdin, output: process.stderr });
    const pasted = await reader.question('After signing in, paste the URL the browser was sent to: ');
    reader.close();
    try {
      tokens = await completeFromPastedRedirect(pasted.trim(), login);
    } catch (error) {
      // Nobody is asked again: stop the loopback listener so the command ends now, not at the timeout.
      login.cancel();
      throw error;
    }
  }
  const enrolled = await enrollAccount(tokens.refreshToken, route, store);
  if (proxyUrl !== null) await store.update(enrolled.account.id, applyAccountProxy(proxyUrl));
  printLine(describeOutcome(enrolled.outcome, enrolled.account, enrolled.projectError));
}

export function registerAccountCommands(program: Command, globals: () => GlobalOptions): void {
  const accounts = program.command('accounts').description('manage the pool of Google accounts');
  registerQuotaCommand(accounts, globals);

  accounts
    .command('list')
    .description('every account with its state (active, disabled, proxy-disabled, …), reason and quota')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { config, store } = await context(globals());
      const { accounts: list, problems } = await store.list();
      for (const problem of problems)
        process.stderr.write(`warning: ${problem.file}: ${problem.message} (skipped, left as it is)\n`);
      if (options.json) {
        printJson(list.map((account) => publicAccount(account, config)));
        return;
      }
      if (list.length === 0) {
        printLine('no accounts yet: add one with `agw accounts login` or `agw accounts add --refresh-token <token>`');
        return;
      }
      printTable(
        ['EMAIL', 'STATE', 'REASON', 'SINCE', 'QUOTA'],
        list.map((account) => {
          const protection = quotaProtectionFrom(config);
          const judgement = judgeAccount(account, protection, Date.now());
          const protectedModels = protection.enabled ? [...judgement.protectedModels].sort() : [];
          const reason =
            judgement.reason ?? (protectedModels.length > 0 ? `quota-protected: ${protectedModels.join(', ')}` : '');
          const moment = judgement.sinceMs ?? judgement.untilMs;
          return [
            account.email,
            judgement.state,
            reason.length > 60 ? `${reason.slice(0, 57)}...` : reason,
            formatTime(moment === undefined ? undefined : Math.floor(moment / 1000)),
            quotaSummary(account),
          ];
        }),
      );
    });

  accounts
    .command('show')
    .description('one account, secrets masked')
    .argument('<account>', 'id or email')
    .option('--json', 'print JSON')
    .action(async (idOrEmail: string, options: { json?: boolean }) => {
      const { config, store } = await context(globals());
      const view = publicAccount(await store.get(idOrEmail), config);
      if (options.json) printJson(view);
      else
        for (const [key, value] of Object.entries(view))
          printLine(
            `${key.padEnd(26)} ${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value ?? '')}`,
          );
    });

  accounts
    .command('add')
    .description('add or update an account from a refresh token (re-enables a disabled account whose token changed)')
    .requiredOption('--refresh-token <token>', 'the refresh token, or - to read it from standard input')
    .option(
      '--proxy <url>',
      "the account's own outbound proxy (http, https, socks5, socks5h), used from the first call",
    )
    .action(async (options: { refreshToken: string; proxy?: string }) => {
      const { config, store } = await context(globals());
      const proxyUrl = accountProxyInput(options.proxy);
      const token = options.refreshToken === '-' ? await readStandardInput() : options.refreshToken;
      let enrolled = await withGoogle(config, (google) => enrollAccount(token, google.forProxy(proxyUrl), store));
      if (proxyUrl !== null) {
        enrolled = { ...enrolled, account: await store.update(enrolled.account.id, applyAccountProxy(proxyUrl)) };
      }
      printLine(describeOutcome(enrolled.outcome, enrolled.account, enrolled.projectError));
    });

  accounts
    .command('login')
    .description('sign in with Google (OAuth with PKCE and a loopback callback)')
    .option('--no-browser', 'print the URL and paste the redirect URL back instead of opening a browser')
    .option('--timeout <seconds>', 'how long to wait for the sign-in', '300')
    .option(
      '--proxy <url>',
      "the account's own outbound proxy (http, https, socks5, socks5h), used from the first call",
    )
    .action(async (options: { browser: boolean; timeout: string; proxy?: string }) => {
      const { config, store } = await context(globals());
      await withGoogle(config, (google) => signIn(google, store, options));
    });

  accounts
    .command('import')
    .description(
      'import refresh tokens: a JSON array of tokens or {refresh_token} objects, a text file, or a reference data dir',
    )
    .argument('[source]', 'a file or a data directory')
    .option(
      '--from-data-dir [dir]',
      'with agw.redis_url set: copy the accounts of a data directory (default: the configured one) into Redis as they are',
    )
    .action(async (source: string | undefined, options: { fromDataDir?: string | true }) => {
      const { config, store } = await context(globals());
      if (options.fromDataDir !== undefined) {
        const from = options.fromDataDir === true ? config.dataDir : options.fromDataDir;
        await copyAccounts(openAccountStore(from), store, config, `the data directory ${from}`);
        return;
      }
      if (source === undefined) {
        throw new GatewayError(
          'AGW_INVALID_REQUEST',
          'name a file or data directory to import, or use --from-data-dir',
        );
      }
      const tokens = await tokensFromImportSource(source);
      if (tokens.length === 0) throw new GatewayError('AGW_INVALID_REQUEST', `no refresh tokens found in ${source}`);
      const counts = { added: 0, updated: 0, 're-enabled': 0, failed: 0 };
      await withGoogle(config, async (google) => {
        for (const [index, token] of tokens.entries()) {
          const prefix = `[${index + 1}/${tokens.length}] ${maskSecret(token)}`;
          try {
            const enrolled = await enrollAccount(token, google, store);
            counts[enrolled.outcome] += 1;
            printLine(`${prefix} ${describeOutcome(enrolled.outcome, enrolled.account, enrolled.projectError)}`);
          } catch (error) {
            counts.failed += 1;
            printLine(`${prefix} failed: ${toGatewayError(error).message}`);
          }
        }
      });
      printLine(
        `done: ${counts.added} added, ${counts.updated} updated, ${counts['re-enabled']} re-enabled, ${counts.failed} failed`,
      );
      if (counts.failed > 0) {
        throw new GatewayError(
          'AGW_INVALID_REQUEST',
          `${counts.failed} of ${tokens.length} accounts could not be imported (see the lines above)`,
        );
      }
    });

  accounts
    .command('export')
    .description('with agw.redis_url set: copy the accounts in Redis into a data directory, as they are')
    .option('--to-data-dir <dir>', 'the data directory to write (default: the configured one)')
    .action(async (options: { toDataDir?: string }) => {
      const { config, store } = await context(globals());
      if (config.shared.redisUrl === null) {
        throw new GatewayError(
          'AGW_INVALID_REQUEST',
          'agw.redis_url is not set: the data directory already is the store',
        );
      }
      const to = options.toDataDir ?? config.dataDir;
      await copyAccounts(store, openAccountStore(to), config, 'Redis', `the data directory ${to}`);
    });

  accounts
    .command('proxy-disable')
    .description('keep the account but stop the proxy from using it (the manual switch)')
    .argument('<account>', 'id or email')
    .option('--reason <text>', 'why', 'disabled by the user')
    .action(async (idOrEmail: string, options: { reason: string }) => {
      const { store } = await context(globals());
      const account = await store.proxyDisable((await store.get(idOrEmail)).id, options.reason);
      printLine(`${account.email}: proxy-disabled (${options.reason})`);
    });

  accounts
    .command('proxy-enable')
    .description('let the proxy use the account again')
    .argument('<account>', 'id or email')
    .action(async (idOrEmail: string) => {
      const { store } = await context(globals());
      const account = await store.proxyEnable((await store.get(idOrEmail)).id);
      printLine(
        `${account.email}: proxy-enabled${account.disabled ? ' (still disabled: re-add it with a new refresh token)' : ''}`,
      );
    });

  accounts
    .command('outbound-proxy')
    .description(
      "show, set or clear the account's own outbound proxy (its refresh, quota and generation calls go through it)",
    )
    .argument('<account>', 'id or email')
    .argument('[url]', 'http://, https://, socks5:// or socks5h:// URL, optionally with user:password@')
    .option('--clear', 'remove the proxy (the global or environment proxy, if any, applies again)')
    .action(async (idOrEmail: string, url: string | undefined, options: { clear?: boolean }) => {
      const { store } = await context(globals());
      const account = await store.get(idOrEmail);
      if (url !== undefined && options.clear) {
        throw new GatewayError('AGW_INVALID_REQUEST', 'give either a proxy URL or --clear, not both');
      }
      if (url === undefined && !options.clear) {
        printLine(
          `${account.email}: ${shownAccountProxy(account) ?? 'no own proxy (the global one, if any, applies)'}`,
        );
        return;
      }
      const proxyUrl = options.clear ? null : accountProxyInput(url);
      if (!options.clear && proxyUrl === null) throw new GatewayError('AGW_INVALID_REQUEST', 'the proxy URL is empty');
      const updated = await store.update(account.id, applyAccountProxy(proxyUrl));
      printLine(
        `${updated.email}: ${proxyUrl === null ? 'own proxy cleared' : `outbound proxy ${shownAccountProxy(updated)}`}`,
      );
    });

  accounts
    .command('remove')
    .description('delete an account')
    .argument('<account>', 'id or email')
    .action(async (idOrEmail: string) => {
      const { store } = await context(globals());
      const account = await store.get(idOrEmail);
      await store.remove(account.id);
      printLine(`${account.email}: removed`);
    });
}
