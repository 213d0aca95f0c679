/**
 * `agw service install|uninstall|status`: writes (or removes) the systemd user unit on Linux or the launchd agent
 * on macOS and asks the service manager to (un)load it. The commands run through an injected runner, so tests see
 * exactly what would run; a dry run renders and lists the commands, writing and running nothing.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GatewayError } from '../errors/catalogue.ts';
import { ensurePrivateDirectory, readTextIfExists, writeTextAtomic } from '../store/atomic-file.ts';
import { launchdPlistPath, renderLaunchdPlist } from './launchd.ts';
import { renderSystemdUnit, systemdUnitPath } from './systemd.ts';
import { launchdLabel, type ServiceCommand, systemdUnitName } from './unit.ts';

export type ServicePlatform = 'systemd' | 'launchd';

/** The service manager refused a command: the machine's state, not a bug in agw; the message says what to check. */
export class ServiceManagerError extends Error {
  override readonly name = 'ServiceManagerError';
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type CommandRunner = (file: string, args: readonly string[]) => Promise<CommandResult>;

/** Runs a command, never throwing: the caller decides what a non-zero exit means. */
export const runCommand: CommandRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(file, [...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 127;
      resolve({ code, stdout, stderr: error !== null && stderr === '' ? error.message : stderr });
    });
  });

export function platformService(platform: NodeJS.Platform): ServicePlatform {
  if (platform === 'linux') return 'systemd';
  if (platform === 'darwin') return 'launchd';
  throw new GatewayError(
    'AGW_INVALID_REQUEST',
    `agw service supports Linux (systemd user unit) and macOS (launchd agent), not ${platform}`,
  );
}

export interface ServiceContext {
  readonly platform: ServicePlatform;
  readonly home: string;
  /** The user id, for launchd's `gui/<uid>` domain. */
  readonly uid: number;
  readonly run: CommandRunner;
}

export interface ServiceReport {
  readonly file: string;
  /** The rendered unit or plist (install). */
  readonly content?: string;
  /** Commands run (or, on a dry run, that would run), as they would be typed. */
  readonly commands: readonly string[];
  /** Output of the status command. */
  readonly output?: string;
  readonly installed: boolean;
  readonly notes: readonly string[];
}

function serviceFile(context: ServiceContext): string {
  return context.platform === 'systemd' ? systemdUnitPath(context.home) : launchdPlistPath(context.home);
}

const typed = (file: string, args: readonly string[]) => [file, ...args].join(' ');

async function runAll(
  context: ServiceContext,
  commands: ReadonlyArray<{ file: string; args: readonly string[]; mayFail?: boolean }>,
  what: string,
): Promise<void> {
  for (const command of commands) {
    const result = await context.run(command.file, command.args);
    if (result.code !== 0 && command.mayFail !== true) {
      const hint =
        context.platform === 'systemd'
          ? ' Is a systemd user session running for this user (`systemctl --user status`; on a server: `loginctl enable-linger`)?'
          : '';
      throw new ServiceManagerError(
        `${what}: \`${typed(command.file, command.args)}\` failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}.${hint}`,
      );
    }
  }
}

function installCommands(context: ServiceContext, file: string) {
  if (context.platform === 'systemd') {
    return [
      { file: 'systemctl', args: ['--user', 'daemon-reload'] },
      { file: 'systemctl', args: ['--user', 'enable', systemdUnitName] },
      // Starts it, or restarts one already running so a reinstall (new paths) takes effect.
      { file: 'systemctl', args: ['--user', 'restart', systemdUnitName] },
    ];
  }
  const domain = `gui/${context.uid}`;
  return [
    // Unload a previous version first; failing because none is loaded is expected.
    { file: 'launchctl', args: ['bootout', `${domain}/${launchdLabel}`], mayFail: true },
    { file: 'launchctl', args: ['bootstrap', domain, file] },
  ];
}

function uninstallCommands(context: ServiceContext) {
  if (context.platform === 'systemd') {
    return [
      { file: 'systemctl', args: ['--user', 'disable', '--now', systemdUnitName], mayFail: true },
      { file: 'systemctl', args: ['--user', 'daemon-reload'], mayFail: true },
    ];
  }
  return [{ file: 'launchctl', args: ['bootout', `gui/${context.uid}/${launchdLabel}`], mayFail: true }];
}

export async function installService(
  context: ServiceContext,
  command: ServiceCommand,
  options: { dryRun?: boolean } = {},
): Promise<ServiceReport> {
  const file = serviceFile(context);
  const content =
    context.platform === 'systemd' ? renderSystemdUnit(command) : renderLaunchdPlist(command, context.home);
  const commands = installCommands(context, file);
  const notes =
    context.platform === 'systemd'
      ? [
          'The service runs while you are logged in; to keep it running after logout (a server): loginctl enable-linger $USER',
          `Logs: journalctl --user -u ${systemdUnitName} (and ${command.dataDir}/logs)`,
        ]
      : [`Logs: ~/Library/Logs/agw.log (and ${command.dataDir}/logs)`];
  if (options.dryRun !== true) {
    await ensurePrivateDirectory(dirname(file));
    await writeTextAtomic(file, content);
    await runAll(context, commands, `the service file is written to ${file}, but starting it failed`);
  }
  return { file, content, commands: commands.map((entry) => typed(entry.file, entry.args)), installed: true, notes };
}

export async function uninstallService(
  context: ServiceContext,
  options: { dryRun?: boolean } = {},
): Promise<ServiceReport> {
  const file = serviceFile(context);
  const exists = (await readTextIfExists(file)) !== undefined;
  if (!exists) {
    throw new GatewayError('AGW_NOT_FOUND', `no agw service is installed (${file} does not exist)`);
  }
  const commands = uninstallCommands(context);
  if (options.dryRun !== true) {
    // Stop first (while the manager still knows the unit), then remove the file.
    await runAll(context, commands.slice(0, 1), 'stopping the service failed');
    await rm(file, { force: true });
    await runAll(context, commands.slice(1), 'reloading the service manager failed');
  }
  return { file, commands: commands.map((entry) => typed(entry.file, entry.args)), installed: false, notes: [] };
}

export async function serviceStatus(context: ServiceContext): Promise<ServiceReport> {
  const file = serviceFile(context);
  const installed = (await readTextIfExists(file)) !== undefined;
  if (!installed) return { file, commands: [], installed, notes: ['install it with: agw service install'] };
  const command =
    context.platform === 'systemd'
      ? { file: 'systemctl', args: ['--user', 'status', '--no-pager', systemdUnitName] }
      : { file: 'launchctl', args: ['print', `gui/${context.uid}/${launchdLabel}`] };
  // `systemctl status` exits 3 for a stopped unit: its output is the answer either way.
  const result = await context.run(command.file, command.args);
  return {
    file,
    commands: [typed(command.file, command.args)],
    output: `${result.stdout}${result.stderr}`.trim(),
    installed,
    notes: [],
  };
}
