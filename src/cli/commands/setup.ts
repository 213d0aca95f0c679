/** `agw setup CLIENT [--dry-run] [--undo]`: point a coding client's settings at agw (src/client-setup/). */
import { homedir } from 'node:os';
import { Argument, type Command } from 'commander';
import { type SetupReport, setupClient, undoClientSetup } from '../../client-setup/apply.ts';
import { localBaseUrl, normaliseBaseUrl } from '../../client-setup/target.ts';
import { type ClientName, clientNames } from '../../client-setup/types.ts';
import { ensureConfigFile } from '../../config/edit.ts';
import { loadConfig, resolveDataDir } from '../../config/load.ts';
import { printJson, printLine } from '../output.ts';
import type { GlobalOptions } from './global-options.ts';

const verbs = {
  create: ['created', 'would create'],
  update: ['updated', 'would update'],
  unchanged: ['unchanged', 'unchanged'],
  restore: ['restored', 'would restore'],
  remove: ['removed', 'would remove'],
} as const;

function printReport(report: SetupReport): void {
  const tense = report.dryRun ? 1 : 0;
  if (report.dryRun) printLine(`${report.title}: dry run, nothing is written`);
  for (const file of report.files) {
    const from = report.undo && file.backup ? ` from ${file.backup}` : '';
    const backup = !report.undo && file.backup ? ` (backup: ${file.backup})` : '';
    printLine(`${report.title}: ${verbs[file.action][tense]} ${file.path}${from}${backup}`);
    for (const change of file.changes) printLine(`  ${change.key} = ${change.value ?? '(removed)'}`);
  }
  for (const note of report.notes) printLine(note);
  if (!report.undo && !report.dryRun) printLine(`Undo with: agw setup ${report.client} --undo`);
}

export function registerSetupCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('setup')
    .description("write a coding client's settings so it uses agw (with a backup; --undo restores it)")
    .addArgument(new Argument('<client>', 'the client to set up').choices(clientNames))
    .option('--dry-run', 'show what would change and write nothing')
    .option('--undo', "restore the client's settings from the latest agw backup")
    .option(
      '--base-url <url>',
      'the URL clients reach agw at (default: from the bind address, e.g. http://127.0.0.1:8045)',
    )
    .option('--json', 'print the report as JSON')
    .action((client: ClientName, options: SetupCommandOptions) => runSetup(client, options, globals()));
}

interface SetupCommandOptions {
  dryRun?: boolean;
  undo?: boolean;
  baseUrl?: string;
  json?: boolean;
}

export async function runSetup(
  client: ClientName,
  options: SetupCommandOptions,
  globals: GlobalOptions,
): Promise<void> {
  const home = homedir();
  let report: SetupReport;
  if (options.undo) {
    report = await undoClientSetup(client, { home, dryRun: options.dryRun === true });
  } else {
    const dataDir = resolveDataDir(globals);
    // The key clients get must be the one `agw serve` will use: create it now, as serve would on first start.
    if (!options.dryRun) await ensureConfigFile(dataDir);
    const config = await loadConfig(globals);
    const baseUrl =
      options.baseUrl !== undefined
        ? normaliseBaseUrl(options.baseUrl)
        : localBaseUrl(config.server.host, config.server.port);
    report = await setupClient(
      client,
      { baseUrl, apiKey: config.auth.apiKey },
      { home, dryRun: options.dryRun === true },
    );
  }
  if (options.json) printJson(report);
  else printReport(report);
}
