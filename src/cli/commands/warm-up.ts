/**
 * `agw warm-up [--account ID|EMAIL]... [--dry-run] [--json]`: one warm-up round now, whatever
 * scheduled_warmup.enabled says. It runs in this process with its own pool over the same data directory, and writes
 * its rows into the same request log, so a running gateway counts these warm-ups too (docs/operations.md, "Warm-up").
 * Cooldowns live in the gateway's memory, so this process does not see them; the plan's other rules apply as usual.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { createAccountPool } from '../../pool/pool.ts';
import { createOutboundClients } from '../../server/composition.ts';
import {
  poolSettingsFrom,
  poolStorageFrom,
  projectResolverFrom,
  systemClock,
  tokenClientFrom,
} from '../../server/pool-wiring.ts';
import { createWarmUpScheduler, type WarmUpOutcome } from '../../server/warm-up-scheduler.ts';
import { openAccountStore } from '../../store/account-store.ts';
import { silentLogger } from '../../telemetry/log-port.ts';
import { openRequestLogOrDisabled } from '../../telemetry/request-log.ts';
import { exitCodes, printJson, printLine, printTable } from '../output.ts';
import type { GlobalOptions } from './global-options.ts';

function printOutcome(outcome: WarmUpOutcome): void {
  const rows = [
    ...outcome.calls.map((call) => [
      call.email,
      call.family,
      call.model,
      outcome.dryRun ? 'due' : call.ok ? 'sent' : `failed: ${call.errorCode ?? ''}`,
      call.reason,
    ]),
    ...outcome.skipped.map((skip) => [skip.email, skip.family ?? '*', '', 'skipped', skip.reason]),
  ];
  if (rows.length === 0) {
    printLine('no account to warm up');
    return;
  }
  printTable(['ACCOUNT', 'FAMILY', 'MODEL', 'RESULT', 'WHY'], rows);
  const failed = outcome.calls.filter((call) => !call.ok).length;
  printLine(
    outcome.dryRun
      ? `${outcome.calls.length} due (dry run: nothing sent), ${outcome.skipped.length} skipped`
      : `${outcome.calls.length - failed} sent, ${failed} failed, ${outcome.skipped.length} skipped`,
  );
}

export function registerWarmUpCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('warm-up')
    .description('one warm-up round now: a tiny call per account and model family whose quota window has reset')
    .option(
      '--account <id-or-email>',
      'only this account (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--dry-run', 'show what would be sent, send nothing')
    .option('--json', 'print JSON')
    .action(async (options: { account: string[]; dryRun?: boolean; json?: boolean }) => {
      const config = await loadConfig(globals());
      const store = openAccountStore(config.dataDir);
      const accountIds =
        options.account.length === 0
          ? undefined
          : await Promise.all(options.account.map(async (idOrEmail) => (await store.get(idOrEmail)).id));
      const outbound = createOutboundClients(config);
      const requestLog = openRequestLogOrDisabled({
        path: join(config.dataDir, 'agw.db'),
        retention: { maxAgeDays: config.requestLog.maxAgeDays, maxRows: config.requestLog.maxRows },
      });
      const pool = createAccountPool({
        clock: systemClock,
        tokenClient: tokenClientFrom(outbound.google),
        projectResolver: projectResolverFrom(outbound.google),
        storage: poolStorageFrom(store, Date.now),
        settings: poolSettingsFrom(config),
      });
      try {
        pool.load((await store.list()).accounts);
        const scheduler = createWarmUpScheduler({
          store,
          pool,
          relay: {
            pool,
            upstream: outbound.upstream,
            metrics: { recordUpstream429: () => undefined, recordHeartbeat: () => undefined },
            now: Date.now,
          },
          requestLog,
          config: () => config,
          logger: silentLogger,
          now: Date.now,
        });
        const outcome = await scheduler.runNow({
          trigger: 'manual',
          ...(options.dryRun === true ? { dryRun: true } : {}),
          ...(accountIds === undefined ? {} : { accountIds }),
        });
        if (options.json) printJson(outcome);
        else printOutcome(outcome);
        if (outcome.calls.some((call) => !call.ok)) process.exitCode = exitCodes.failure;
      } finally {
        await pool.settle();
        await outbound.close();
        requestLog.close();
      }
    });
}
