/** The launchd agent (macOS): `~/Library/LaunchAgents/com.antigravity-gateway.agw.plist`. Pure rendering. */
import { join } from 'node:path';
import { launchdLabel, type ServiceCommand, serviceArguments } from './unit.ts';

export function launchdPlistPath(home: string): string {
  return join(home, 'Library', 'LaunchAgents', `${launchdLabel}.plist`);
}

export function launchdLogPath(home: string): string {
  return join(home, 'Library', 'Logs', 'agw.log');
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const string = (value: string) => `<string>${xml(value)}</string>`;

export function renderLaunchdPlist(command: ServiceCommand, home: string): string {
  const log = launchdLogPath(home);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    `  <key>Label</key>${string(launchdLabel)}`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...serviceArguments(command).map((argument) => `    ${string(argument)}`),
    '  </array>',
    '  <key>EnvironmentVariables</key>',
    `  <dict><key>NODE_ENV</key>${string('production')}</dict>`,
    '  <key>RunAtLoad</key><true/>',
    // Restart after a crash, not after a clean stop (launchctl bootout, or agw exiting 0).
    '  <key>KeepAlive</key>',
    '  <dict><key>SuccessfulExit</key><false/></dict>',
    '  <key>ThrottleInterval</key><integer>5</integer>',
    `  <key>StandardOutPath</key>${string(log)}`,
    `  <key>StandardErrorPath</key>${string(log)}`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
