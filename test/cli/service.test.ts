/**
 * `agw service`: the systemd unit and launchd agent are rendered purely and checked (the unit by
 * `systemd-analyze verify`, which parses it as systemd does); install, uninstall and status write, remove and run
 * exactly what they say, through a recording command runner; the CLI's dry run writes and runs nothing.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { GatewayError } from '../../src/errors/catalogue.ts';
import { renderLaunchdPlist } from '../../src/service/launchd.ts';
import {
  type CommandRunner,
  installService,
  type ServiceContext,
  ServiceManagerError,
  serviceStatus,
  uninstallService,
} from '../../src/service/manage.ts';
import { renderSystemdUnit, systemdWord } from '../../src/service/systemd.ts';

const run = promisify(execFile);
const entry = fileURLToPath(new URL('../../bin/agw.js', import.meta.url));
// A data directory whose name needs every kind of quoting systemd and XML have.
const awkwardDataDir = '/tmp/agw data/100% "$HOME" & <x>\\y';
const command = { node: process.execPath, entry, dataDir: awkwardDataDir };

function systemdAnalyze(): string | undefined {
  for (const candidate of ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'])
    if (existsSync(candidate)) return candidate;
  return undefined;
}

test('the systemd unit: ExecStart runs this Node with bin/agw.js serve for the data directory, quoted for systemd', async (t) => {
  const unit = renderSystemdUnit(command);
  const execStart = unit.split('\n').find((line) => line.startsWith('ExecStart='));
  assert.equal(
    execStart,
    `ExecStart="${process.execPath}" "${entry}" "--data-dir" "/tmp/agw data/100%% \\"$$HOME\\" & <x>\\\\y" "serve"`,
  );
  assert.match(unit, /^Restart=on-failure$/m);
  assert.match(unit, /^WantedBy=default\.target$/m);
  assert.throws(() => systemdWord('a\nb'), /line break/);

  const analyze = systemdAnalyze();
  if (analyze === undefined) {
    // The one assertion that needs systemd (apt package `systemd`); everything else above ran.
    t.diagnostic('systemd-analyze is not installed here: the unit was not verified by systemd itself');
    return;
  }
  const directory = await mkdtemp(join(tmpdir(), 'agw-unit-'));
  const file = join(directory, 'agw.service');
  await writeFile(file, unit);
  const verified = await run(analyze, ['verify', file]).catch((error: { stderr: string; code: number }) => error);
  assert.equal(verified.stderr.trim(), '', 'systemd-analyze verify finds nothing to report');
  // The checker is live: a unit with a mistake is reported.
  await writeFile(file, unit.replace('Restart=on-failure', 'Restart=sometimes'));
  const broken = await run(analyze, ['verify', file]).catch((error: { stderr: string }) => error);
  assert.match(broken.stderr, /restart specifier/);
});

test('the launchd agent: label, program arguments, restart on crash, logs; XML escaped', () => {
  const plist = renderLaunchdPlist(command, '/Users/me');
  assert.match(plist, /<key>Label<\/key><string>com\.antigravity-gateway\.agw<\/string>/);
  assert.ok(
    plist.includes(
      `<string>${process.execPath}</string>\n    <string>${entry}</string>\n    <string>--data-dir</string>\n    <string>/tmp/agw data/100% &quot;$HOME&quot; &amp; &lt;x&gt;\\y</string>\n    <string>serve</string>`,
    ),
  );
  assert.match(plist, /<key>KeepAlive<\/key>\n {2}<dict><key>SuccessfulExit<\/key><false\/><\/dict>/);
  assert.match(plist, /<key>StandardOutPath<\/key><string>\/Users\/me\/Library\/Logs\/agw\.log<\/string>/);
  // Python's plistlib, where present, reads it back as the same data (a full plist parser, not a regular expression).
  const python = spawnSync(
    'python3',
    ['-c', 'import plistlib,sys,json; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))'],
    {
      input: plist,
      encoding: 'utf8',
    },
  );
  if (python.error === undefined) {
    assert.equal(python.status, 0, python.stderr);
    const parsed = JSON.parse(python.stdout) as { ProgramArguments: string[]; RunAtLoad: boolean };
    assert.deepEqual(parsed.ProgramArguments, [process.execPath, entry, '--data-dir', awkwardDataDir, 'serve']);
    assert.equal(parsed.RunAtLoad, true);
  }
});

function recorder(failing: (file: string, args: readonly string[]) => boolean = () => false) {
  const calls: string[] = [];
  const runner: CommandRunner = async (file, args) => {
    calls.push([file, ...args].join(' '));
    return failing(file, args)
      ? { code: 1, stdout: '', stderr: 'Failed to connect to bus: No medium found' }
      : { code: 0, stdout: `${file} says ok`, stderr: '' };
  };
  return { calls, runner };
}

async function contextFor(platform: ServiceContext['platform'], runner: CommandRunner): Promise<ServiceContext> {
  return { platform, home: await mkdtemp(join(tmpdir(), 'agw-service-home-')), uid: 501, run: runner };
}

test('systemd: install writes the unit then reloads, enables and (re)starts; status asks systemctl; uninstall stops before removing', async () => {
  const { calls, runner } = recorder();
  const context = await contextFor('systemd', runner);
  const unitPath = join(context.home, '.config', 'systemd', 'user', 'agw.service');

  const dry = await installService(context, command, { dryRun: true });
  assert.equal(existsSync(unitPath), false);
  assert.deepEqual(calls, [], 'a dry run runs nothing');
  assert.equal(dry.file, unitPath);

  await installService(context, command);
  assert.equal(await readFile(unitPath, 'utf8'), renderSystemdUnit(command));
  assert.deepEqual(calls, [
    'systemctl --user daemon-reload',
    'systemctl --user enable agw.service',
    'systemctl --user restart agw.service',
  ]);
  const status = await serviceStatus(context);
  assert.equal(status.installed, true);
  assert.equal(status.output, 'systemctl says ok');
  assert.equal(calls.at(-1), 'systemctl --user status --no-pager agw.service');

  calls.length = 0;
  await uninstallService(context);
  assert.equal(existsSync(unitPath), false);
  assert.deepEqual(calls, ['systemctl --user disable --now agw.service', 'systemctl --user daemon-reload']);
  assert.equal((await serviceStatus(context)).installed, false);
  await assert.rejects(uninstallService(context), (error: GatewayError) => error.code === 'AGW_NOT_FOUND');
});

test('systemd: without a user session the unit is still written and the error says what to check', async () => {
  const { runner } = recorder((file) => file === 'systemctl');
  const context = await contextFor('systemd', runner);
  await assert.rejects(installService(context, command), (error: Error) => {
    assert.ok(error instanceof ServiceManagerError);
    assert.match(error.message, /`systemctl --user daemon-reload` failed \(exit 1\): Failed to connect to bus/);
    assert.match(error.message, /loginctl enable-linger/);
    return true;
  });
  assert.deepEqual(await readdir(join(context.home, '.config', 'systemd', 'user')), ['agw.service']);
});

test('launchd: install unloads any previous agent then bootstraps the plist; uninstall boots it out', async () => {
  const { calls, runner } = recorder((_file, args) => args[0] === 'bootout');
  const context = await contextFor('launchd', runner);
  const plistPath = join(context.home, 'Library', 'LaunchAgents', 'com.antigravity-gateway.agw.plist');
  await installService(context, command);
  assert.equal(await readFile(plistPath, 'utf8'), renderLaunchdPlist(command, context.home));
  assert.deepEqual(calls, [
    'launchctl bootout gui/501/com.antigravity-gateway.agw',
    `launchctl bootstrap gui/501 ${plistPath}`,
  ]);
  await uninstallService(context);
  assert.equal(existsSync(plistPath), false);
});

test('agw service install --dry-run prints the unit for the data directory and writes nothing', async () => {
  const home = await mkdtemp(join(tmpdir(), 'agw-service-cli-'));
  const dataDir = join(home, 'my data');
  const dry = spawnSync(process.execPath, [entry, '--data-dir', dataDir, 'service', 'install', '--dry-run'], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home },
  });
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /^dry run: nothing is written or run$/m);
  assert.ok(dry.stdout.includes(`"--data-dir" "${dataDir}" "serve"`), dry.stdout);
  assert.match(dry.stdout, /^would run: systemctl --user enable agw\.service$/m);
  assert.deepEqual(await readdir(home), [], 'nothing written, not even the data directory');
  const status = spawnSync(process.execPath, [entry, 'service', 'status'], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home },
  });
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /^not installed: .*agw\.service$/m);
  const uninstall = spawnSync(process.execPath, [entry, 'service', 'uninstall'], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home },
  });
  assert.equal(uninstall.status, 1);
  assert.match(uninstall.stderr, /no agw service is installed .*\[AGW_NOT_FOUND\]/);
});
