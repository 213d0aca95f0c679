/** `agw service install|uninstall|status [--dry-run]`: run `agw serve` as a systemd user unit or a launchd agent. */
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { resolveDataDir } from '../../config/load.ts';
import {
  installService,
  platformService,
  runCommand,
  type ServiceContext,
  ServiceManagerError,
  type ServiceReport,
  serviceStatus,
  uninstallService,
} from '../../service/manage.ts';
import { exitCodes, printJson, printLine } from '../output.ts';
import type { GlobalOptions } from './global-options.ts';

// bin/agw.js, one level above both src/ (a checkout) and dist/ (the published package).
const entryScript = fileURLToPath(new URL('../../../bin/agw.js', import.meta.url));

function context(): ServiceContext {
  return {
    platform: platformService(process.platform),
    home: homedir(),
    uid: process.getuid?.() ?? 0,
    run: runCommand,
  };
}

const verbs = { install: ['installed', 'would install'], remove: ['removed', 'would remove'] } as const;

function print(report: ServiceReport, options: { dryRun?: boolean; json?: boolean }, verb: keyof typeof verbs): void {
  if (options.json) {
    printJson(report);
    return;
  }
  if (options.dryRun) printLine('dry run: nothing is written or run');
  printLine(`${verbs[verb][options.dryRun ? 1 : 0]} ${report.file}`);
  if (report.content !== undefined && options.dryRun) printLine(report.content.trimEnd());
  for (const command of report.commands) printLine(`${options.dryRun ? 'would run' : 'ran'}: ${command}`);
  for (const note of report.notes) printLine(note);
}

/** A refused service-manager command is the machine's state, not a bug: one clear line and exit 1, no stack. */
async function guarded(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof ServiceManagerError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = exitCodes.failure;
  }
}

export function registerServiceCommands(program: Command, globals: () => GlobalOptions): void {
  const service = program
    .command('service')
    .description('run `agw serve` in the background: a systemd user unit (Linux) or a launchd agent (macOS)');

  service
    .command('install')
    .description('write the unit (or agent) for this data directory and start it; starts at login')
    .option('--dry-run', 'print the unit and the commands, write and run nothing')
    .option('--json', 'print the result as JSON')
    .action((options: { dryRun?: boolean; json?: boolean }) =>
      guarded(async () => {
        const command = { node: process.execPath, entry: entryScript, dataDir: resolveDataDir(globals()) };
        print(await installService(context(), command, options), options, 'install');
      }),
    );

  service
    .command('uninstall')
    .description('stop the service and remove its unit (or agent); the data directory is kept')
    .option('--dry-run', 'show what would be removed and run, change nothing')
    .option('--json', 'print the result as JSON')
    .action((options: { dryRun?: boolean; json?: boolean }) =>
      guarded(async () => print(await uninstallService(context(), options), options, 'remove')),
    );

  service
    .command('status')
    .description("whether the service is installed, and the service manager's view of it")
    .option('--json', 'print the result as JSON')
    .action((options: { json?: boolean }) =>
      guarded(async () => {
        const report = await serviceStatus(context());
        if (options.json) return printJson(report);
        printLine(`${report.installed ? 'installed' : 'not installed'}: ${report.file}`);
        if (report.output) printLine(report.output);
        for (const note of report.notes) printLine(note);
      }),
    );
}
