/** `agw config get [KEY]` and `agw config set KEY VALUE`. */
import type { Command } from 'commander';
import { getStoredSetting, setSettingFromText } from '../../config/edit.ts';
import { loadConfig, overridingVariable, readConfigObject, readPath, resolveDataDir } from '../../config/load.ts';
import { type SettingDefinition, settingByPath, settingsTable } from '../../config/settings-table.ts';
import { maskSecret, redactValue } from '../../telemetry/redaction.ts';
import { printJson, printLine, printTable } from '../output.ts';
import type { GlobalOptions } from './global-options.ts';

/** A setting as shown: a secret masked, anything else through the scrubber (a proxy URL's password). */
function shown(definition: SettingDefinition, value: unknown): unknown {
  if (definition.secret && typeof value === 'string' && value !== '') return maskSecret(value);
  return redactValue(value);
}

function display(definition: SettingDefinition, value: unknown): string {
  if (definition.secret && typeof value === 'string' && value !== '') return maskSecret(value);
  return JSON.stringify(redactValue(value));
}

export function registerConfigCommands(program: Command, globals: () => GlobalOptions): void {
  const config = program.command('config').description('read or change gui_config.json (validated)');

  config
    .command('get')
    .description('show every setting (effective value and where it comes from), or one setting by its key')
    .argument('[key]', 'a gui_config.json key such as proxy.port')
    .option('--json', 'print JSON')
    .action(async (key: string | undefined, options: { json?: boolean }) => {
      const dataDir = resolveDataDir(globals());
      if (key !== undefined) {
        const found = settingByPath(key);
        await getStoredSetting(dataDir, key); // validates the key name
        const definition = found![1];
        const effective = readPath(await readConfigObject(dataDir), key) ?? definition.fallback;
        if (options.json) printJson({ key, value: shown(definition, effective) });
        else printLine(display(definition, effective));
        return;
      }
      await loadConfig(globals()); // reports an invalid file before listing it
      const file = await readConfigObject(dataDir);
      const rows = Object.values(settingsTable).map((definition: SettingDefinition) => {
        const stored = readPath(file, definition.path);
        const fromEnvironment = overridingVariable(definition.env);
        const source = fromEnvironment ? `env ${fromEnvironment}` : stored === undefined ? 'default' : 'file';
        const shown = fromEnvironment ? `(${fromEnvironment})` : display(definition, stored ?? definition.fallback);
        const value = shown.length > 70 ? `${shown.slice(0, 67)}...` : shown;
        return [definition.path, value, source];
      });
      if (options.json) printJson(rows.map(([key, value, source]) => ({ key, value, source })));
      else printTable(['KEY', 'VALUE', 'SOURCE'], rows);
    });

  config
    .command('set')
    .description('change one setting; the whole file is validated before it is written')
    .argument('<key>', 'a gui_config.json key such as proxy.port')
    .argument('<value>', 'JSON (8046, true, ["a","b"]) or plain text')
    .action(async (key: string, value: string) => {
      await setSettingFromText(resolveDataDir(globals()), key, value);
      printLine(`${key} updated; a running gateway applies it within a second`);
    });
}
