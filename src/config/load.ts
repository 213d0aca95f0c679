/**
 * Loading the configuration: gui_config.json, then environment variables, then command-line overrides, checked
 * against the settings table. Every problem is collected and reported in one error; the result is deep-frozen so
 * no layer can change it behind the others' backs (changes go through the file and a reload).
 *
 * This is the only module that reads `process.env`.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { GatewayError } from '../errors/catalogue.ts';
import { readConfigFile } from '../store/config-file.ts';
import { proxyUrlProblem } from '../upstream/proxy/proxy-url.ts';
import { buildGatewayConfig, type GatewayConfig } from './gateway-config.ts';
import { type SettingDefinition, type SettingName, type SettingValues, settingsTable } from './settings-table.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface CommandLineOverrides {
  dataDir?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  /** `agw serve --allow-unauthenticated-lan`. */
  allowUnauthenticatedLan?: boolean | undefined;
}

export const configFileName = 'gui_config.json';

/** The data directory: --data-dir, then AGW_DATA_DIR, then the reference's ABV_DATA_DIR, then ~/.antigravity_tools. */
export function resolveDataDir(overrides: CommandLineOverrides = {}, environment: Environment = process.env): string {
  const candidates = [overrides.dataDir, environment['AGW_DATA_DIR'], environment['ABV_DATA_DIR']];
  for (const candidate of candidates) {
    if (candidate !== undefined && candidate.trim() !== '') return resolve(candidate.trim());
  }
  return join(homedir(), '.antigravity_tools');
}

/** Reads gui_config.json as a plain object; a corrupt file is an error (never silently replaced). */
export async function readConfigObject(dataDir: string): Promise<Record<string, unknown> | undefined> {
  const read = await readConfigFile(dataDir);
  if (read.problem !== undefined) {
    throw new GatewayError('AGW_CONFIG_INVALID', `${join(dataDir, configFileName)}: ${read.problem}; fix or remove it`);
  }
  return read.raw;
}

export function readPath(object: Record<string, unknown> | undefined, path: string): unknown {
  let current: unknown = object;
  for (const segment of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/**
 * Resolves every setting (environment > file > default) and validates it; returns the values or throws one
 * AGW_CONFIG_INVALID listing every problem with where it came from.
 */
export function resolveSettings(
  file: Record<string, unknown> | undefined,
  environment: Environment,
  sourceName = configFileName,
): SettingValues {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, definition] of Object.entries(settingsTable) as Array<[SettingName, SettingDefinition]>) {
    const fromEnvironment = definition.env.find((variable) => (environment[variable] ?? '').trim() !== '');
    let raw: unknown;
    let origin: string;
    if (fromEnvironment !== undefined) {
      const text = (environment[fromEnvironment] ?? '').trim();
      raw = definition.fromEnv ? definition.fromEnv(text) : text;
      origin = `environment variable ${fromEnvironment}`;
    } else {
      raw = readPath(file, definition.path);
      origin = `${sourceName} key ${definition.path}`;
      if (raw === undefined) {
        values[name] = definition.fallback;
        continue;
      }
    }
    const checked = definition.schema.safeParse(raw);
    if (checked.success) values[name] = checked.data;
    else problems.push(`${origin}: ${checked.error.issues.map((issue) => issue.message).join('; ')}`);
  }
  if (problems.length > 0) {
    throw new GatewayError('AGW_CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`, {
      details: { problems },
    });
  }
  return values as SettingValues;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Loads, validates and freezes the configuration for one data directory. */
export async function loadConfig(
  overrides: CommandLineOverrides = {},
  environment: Environment = process.env,
): Promise<GatewayConfig> {
  const dataDir = resolveDataDir(overrides, environment);
  const file = await readConfigObject(dataDir);
  return configFromObject(dataDir, file, overrides, environment);
}

/** The pure part of loadConfig, also used for hot reloads and for validating a change before it is saved. */
export function configFromObject(
  dataDir: string,
  file: Record<string, unknown> | undefined,
  overrides: CommandLineOverrides = {},
  environment: Environment = process.env,
): GatewayConfig {
  const values = resolveSettings(file, environment);
  if (overrides.host !== undefined) values.host = overrides.host;
  if (overrides.port !== undefined) values.port = overrides.port;
  if (overrides.allowUnauthenticatedLan === true) values.allowUnauthenticatedLan = true;
  return deepFreeze(buildGatewayConfig(dataDir, values, environmentProxies(environment)));
}

/** The first set variable of `names` (lower case first, as curl reads them). */
function firstSet(environment: Environment, names: readonly string[]): [string, string] | undefined {
  for (const name of names) {
    const value = (environment[name] ?? '').trim();
    if (value !== '') return [name, value];
  }
  return undefined;
}

/**
 * The proxies of the conventional variables: `https_proxy`/`HTTPS_PROXY` for https targets, `http_proxy`/
 * `HTTP_PROXY` for http ones, `all_proxy`/`ALL_PROXY` for both when the specific one is unset. An unusable value
 * is a configuration error naming the variable (never its value, which may hold a password).
 */
export function environmentProxies(environment: Environment): { http: string | null; https: string | null } {
  const all = firstSet(environment, ['all_proxy', 'ALL_PROXY']);
  const https = firstSet(environment, ['https_proxy', 'HTTPS_PROXY']) ?? all;
  const http = firstSet(environment, ['http_proxy', 'HTTP_PROXY']) ?? all;
  const problems = [https, http].flatMap((found) => {
    const problem = found === undefined ? undefined : proxyUrlProblem(found[1]);
    return problem === undefined ? [] : [`environment variable ${found![0]}: ${problem}`];
  });
  if (problems.length > 0) {
    throw new GatewayError(
      'AGW_CONFIG_INVALID',
      `invalid configuration:\n  - ${[...new Set(problems)].join('\n  - ')}`,
      {
        details: { problems },
      },
    );
  }
  return { http: http?.[1] ?? null, https: https?.[1] ?? null };
}

/** Whether standard output is an interactive terminal (pretty logs) — kept here so only config/ reads process state. */
export function isInteractiveTerminal(): boolean {
  return process.stdout.isTTY === true;
}

/** The stdout log format in force: `agw.log_format` / AGW_LOG_FORMAT, `auto` meaning pretty only on a terminal. */
export function logFormatOf(config: GatewayConfig, terminal: boolean = isInteractiveTerminal()): 'json' | 'pretty' {
  const format = config.logging.format;
  if (format === 'auto') return terminal ? 'pretty' : 'json';
  return format;
}

/** Which environment variable (if any) currently overrides a setting; for `agw config get` and the admin API. */
export function overridingVariable(
  variables: readonly string[],
  environment: Environment = process.env,
): string | undefined {
  return variables.find((name) => (environment[name] ?? '').trim() !== '');
}
