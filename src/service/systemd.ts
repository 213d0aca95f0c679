/** The systemd user unit (Linux): `~/.config/systemd/user/agw.service`. Pure rendering. */
import { join } from 'node:path';
import { type ServiceCommand, serviceArguments, serviceDescription, systemdUnitName } from './unit.ts';

export function systemdUnitPath(home: string): string {
  return join(home, '.config', 'systemd', 'user', systemdUnitName);
}

/**
 * One ExecStart word: double-quoted, with systemd's escapes. `%` starts a specifier and `$` a variable expansion in
 * ExecStart, so both are doubled; backslash and double quote are escaped inside the quotes.
 */
export function systemdWord(word: string): string {
  if (/[\n\r]/.test(word))
    throw new Error(`a path with a line break cannot go into a systemd unit: ${JSON.stringify(word)}`);
  return `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

export function renderSystemdUnit(command: ServiceCommand): string {
  return [
    '# Written by `agw service install`; `agw service uninstall` removes it.',
    '[Unit]',
    `Description=${serviceDescription}`,
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${serviceArguments(command).map(systemdWord).join(' ')}`,
    'Environment=NODE_ENV=production',
    // agw stops cleanly on SIGTERM (closes streams, flushes the request log); a crash or a failed start is retried.
    'KillSignal=SIGTERM',
    'TimeoutStopSec=30',
    'Restart=on-failure',
    'RestartSec=5',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}
