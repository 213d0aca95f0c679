/**
 * Changing gui_config.json: one setting (`agw config set`), a patch (admin API), or first-run creation. Every
 * change is validated as a whole before it is written, written atomically under the data-directory lock, and
 * keeps every key agw does not know (the reference system's other settings survive a round trip).
 */
import { randomBytes } from 'node:crypto';
import { GatewayError } from '../errors/catalogue.ts';
import { updateConfigFile } from '../store/config-file.ts';
import { configFromObject, readConfigObject, readPath } from './load.ts';
import { type SettingDefinition, settingByPath, settingsTable } from './settings-table.ts';

/** The reference's key format: `sk-` + 32 hex characters. */
export function generateApiKey(): string {
  return `sk-${randomBytes(16).toString('hex')}`;
}

function writePath(object: Record<string, unknown>, path: string, value: unknown): void {
  const segments = path.split('.');
  let current = object;
  for (const segment of segments.slice(0, -1)) {
    const next = current[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) current[segment] = {};
    current = current[segment] as Record<string, unknown>;
  }
  current[segments.at(-1)!] = value;
}

/** Interprets command-line text: JSON when it parses (numbers, booleans, arrays, objects, null), else a string. */
export function parseValueText(text: string, definition: SettingDefinition): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return definition.fromEnv ? definition.fromEnv(text) : text;
  }
}

function requireSetting(path: string): SettingDefinition {
  const found = settingByPath(path);
  if (!found) {
    const known = Object.values(settingsTable)
      .map((definition) => definition.path)
      .sort()
      .join(', ');
    throw new GatewayError('AGW_CONFIG_UNKNOWN_KEY', `unknown setting "${path}"; known settings: ${known}`);
  }
  return found[1];
}

/**
 * Applies `changes` (path → value) to gui_config.json after validating the result as a whole; returns the new
 * file object. Nothing is written when any value is invalid.
 */
export async function updateSettings(
  dataDir: string,
  changes: Readonly<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  for (const path of Object.keys(changes)) requireSetting(path);
  return updateConfigFile(dataDir, (current) => {
    const next = structuredClone(current);
    for (const [path, value] of Object.entries(changes)) writePath(next, path, value);
    // Validate the file alone (no environment), so an invalid value cannot hide behind an override; throwing
    // here leaves the file untouched.
    configFromObject(dataDir, next, {}, {});
    return next;
  });
}

export async function setSettingFromText(dataDir: string, path: string, text: string): Promise<void> {
  const definition = requireSetting(path);
  await updateSettings(dataDir, { [path]: parseValueText(text, definition) });
}

/** The value of one setting as stored in the file (undefined when the default applies). */
export async function getStoredSetting(dataDir: string, path: string): Promise<unknown> {
  requireSetting(path);
  return readPath(await readConfigObject(dataDir), path);
}

/**
 * First run: creates gui_config.json with the reference's required keys and a random API key, so the key is
 * stable across restarts. An existing file is left alone, except that a missing or empty api_key is filled in.
 */
export async function ensureConfigFile(dataDir: string): Promise<void> {
  const hasKey = (raw: Record<string, unknown> | undefined): boolean => {
    const key = readPath(raw, 'proxy.api_key');
    return typeof key === 'string' && key !== '';
  };
  if (hasKey(await readConfigObject(dataDir))) return;
  await updateConfigFile(dataDir, (raw) => {
    if (hasKey(raw)) return raw; // another process got there first
    const next = Object.keys(raw).length === 0 ? referenceRequiredKeys() : raw;
    writePath(next, 'proxy.api_key', generateApiKey());
    return next;
  });
}

/** The keys the reference system requires to load its config (accounts-tokens-pool.md §8.1-8.2). */
function referenceRequiredKeys(): Record<string, unknown> {
  return {
    language: 'en',
    theme: 'system',
    auto_refresh: true,
    refresh_interval: 15,
    auto_sync: false,
    sync_interval: 5,
    proxy: { enabled: true, port: 8045, api_key: '', auto_start: false, auth_mode: 'auto', allow_lan_access: false },
  };
}
