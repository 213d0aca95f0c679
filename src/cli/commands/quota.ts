/**
 * `agw accounts quota [--refresh] [--json]`: remaining quota per account and model, with bars and reset times,
 * and the weekly / 5-hour buckets. `--refresh` fetches fresh snapshots from Google first, directly (a running
 * gateway also refreshes on its own schedule and notices the new files).
 */
import type { Command } from 'commander';
import { quotaView } from '../../accounts/account-view.ts';
import { loadConfig } from '../../config/load.ts';
import { createGoogleClients } from '../../google/clients.ts';
import { createQuotaRefresher } from '../../server/quota-refresher.ts';
import type { Account } from '../../store/account-schema.ts';
import { openStoreForCommand } from '../../store/open-store.ts';
import { silentLogger } from '../../telemetry/log-port.ts';
import { printJson, printLine, printTable } from '../output.ts';
import type { GlobalOptions } from './global-options.ts';

/** `████████░░  80%` — ten cells, rounded down so a bar is only full at 100 %. */
export function quotaBar(percentage: number): string {
  const clamped = Math.max(0, Math.min(100, percentage));
  const filled = Math.floor(clamped / 10);
  return `${'█'.repeat(filled)}${'░'.repeat(10 - filled)} ${String(Math.round(clamped)).padStart(3)}%`;
}

function quotaRows(account: Account): unknown[][] {
  const rows: unknown[][] = [];
  for (const model of account.quota?.models ?? []) {
    const bar = model.percentage_unknown === true ? 'unknown' : quotaBar(model.percentage);
    rows.push([account.email, model.name, bar, model.reset_time || '']);
  }
  for (const group of account.quota?.quota_groups ?? []) {
    for (const bucket of group.buckets) {
      rows.push([
        account.email,
        `${group.display_name}: ${bucket.display_name ?? bucket.bucket_id}`,
        quotaBar(bucket.remaining_fraction * 100),
        bucket.reset_time ?? '',
      ]);
    }
  }
  return rows;
}

export function registerQuotaCommand(accounts: Command, globals: () => GlobalOptions): void {
  accounts
    .command('quota')
    .description('remaining quota per account and model (with reset times), and the weekly / 5-hour buckets')
    .option('--refresh', 'fetch fresh snapshots from Google first')
    .option('--json', 'print JSON')
    .action(async (options: { refresh?: boolean; json?: boolean }) => {
      const config = await loadConfig(globals());
      const store = openStoreForCommand({ dataDir: config.dataDir, redisUrl: config.shared.redisUrl });
      if (options.refresh) {
        const google = createGoogleClients(config);
        const refresher = createQuotaRefresher({
          store,
          google,
          config: () => config,
          logger: silentLogger,
          now: Date.now,
          reloadPool: async () => undefined,
          // No pool here: refresh the access token directly and keep what Google returns.
          accessToken: async (account) => {
            const refreshed = await google
              .forProxy(account.proxy_url)
              .oauth.refreshAccessToken({ refreshToken: account.token.refresh_token });
            await store.persistToken(
              account.id,
              {
                access_token: refreshed.accessToken,
                expires_in: refreshed.expiresInSeconds,
                expiry_timestamp: Math.floor(Date.now() / 1000) + refreshed.expiresInSeconds,
                ...(refreshed.refreshToken ? { refresh_token: refreshed.refreshToken } : {}),
              },
              { ifRefreshToken: account.token.refresh_token },
            );
            return refreshed.accessToken;
          },
        });
        const outcome = await refresher.refreshNow().finally(() => google.close());
        const emails = new Map((await store.list()).accounts.map((account) => [account.id, account.email]));
        for (const error of outcome.errors)
          process.stderr.write(`warning: ${emails.get(error.accountId) ?? error.accountId}: ${error.message}\n`);
        if (!options.json)
          printLine(
            `refreshed ${outcome.refreshed}, failed ${outcome.failed}, skipped ${outcome.skipped} (disabled or proxy-disabled)`,
          );
      }
      const { accounts: list } = await store.list();
      if (options.json) {
        printJson(
          list.map((account) => ({
            id: account.id,
            email: account.email,
            protected_models: account.protected_models ?? [],
            ...(quotaView(account) ?? { last_updated: null, tier: null, models: [], groups: [] }),
          })),
        );
        return;
      }
      const rows = list.flatMap(quotaRows);
      if (rows.length === 0) {
        printLine('no quota data yet: run `agw accounts quota --refresh`, or let a running gateway refresh it');
        return;
      }
      printTable(['ACCOUNT', 'MODEL / BUCKET', 'REMAINING', 'RESETS'], rows);
    });
}
