/**
 * `gui_config.json`, kept as raw JSON: the config layer validates and interprets it; this file only reads it and
 * changes it safely. Updates hold the data-directory lock and write atomically (the reference writes it
 * non-atomically from many places with no lock, weakness 4), and every key the change does not touch is written
 * back as it was. A file that cannot be parsed is reported and never overwritten.
 */
import { GatewayError } from '../errors/catalogue.ts';
import { type Logger, silentLogger } from '../telemetry/log-port.ts';
import { readBytesIfExists, withDataDirLock, writeJsonAtomic } from './atomic-file.ts';
import { configFileName, configPath } from './data-dir.ts';
import { watchDataDirectory } from './data-dir-watcher.ts';
import { parseJsonText, sanitizeJsonBytes } from './json-file.ts';

export type RawConfig = Record<string, unknown>;

export interface ConfigFileRead {
  /** undefined when the file does not exist or cannot be parsed. */
  raw: RawConfig | undefined;
  /** Why the file could not be used, when it exists but is unreadable. */
  problem?: string;
}

/** Reads `gui_config.json`: missing → `{ raw: undefined }`; unparsable → `{ raw: undefined, problem }`. */
export async function readConfigFile(dataDir: string): Promise<ConfigFileRead> {
  let bytes: Buffer | undefined;
  try {
    bytes = await readBytesIfExists(configPath(dataDir));
  } catch (error) {
    throw new GatewayError('AGW_STORE_IO', `${configFileName} could not be read: ${String(error)}`, { cause: error });
  }
  if (bytes === undefined) return { raw: undefined };
  const text = sanitizeJsonBytes(bytes);
  if (text.trim() === '') return { raw: undefined, problem: `${configFileName} is empty` };
  const parsed = parseJsonText(text);
  if (!parsed.ok) return { raw: undefined, problem: `${configFileName} is ${parsed.message}` };
  if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    return { raw: undefined, problem: `${configFileName} must hold a JSON object` };
  }
  return { raw: parsed.value as RawConfig };
}

/**
 * Changes `gui_config.json` under the lock: `mutate` receives the current content (an empty object when the file
 * does not exist) and returns the new content, which is written atomically. Throws AGW_CONFIG_INVALID, writing
 * nothing, when the existing file cannot be parsed.
 */
export async function updateConfigFile(dataDir: string, mutate: (raw: RawConfig) => RawConfig): Promise<RawConfig> {
  return withDataDirLock(dataDir, async () => {
    const current = await readConfigFile(dataDir);
    if (current.problem !== undefined) {
      throw new GatewayError(
        'AGW_CONFIG_INVALID',
        `${current.problem}; it was left as it is — fix or remove it before changing the configuration`,
      );
    }
    const next = mutate(structuredClone(current.raw ?? {}));
    try {
      await writeJsonAtomic(configPath(dataDir), next);
    } catch (error) {
      throw new GatewayError('AGW_STORE_IO', `${configFileName} could not be written: ${String(error)}`, {
        cause: error,
      });
    }
    return next;
  });
}

/** Calls `listener` when `gui_config.json` is changed by any process. Returns the function that stops watching. */
export function watchConfigFile(
  dataDir: string,
  listener: () => void,
  options: { debounceMs?: number; logger?: Logger } = {},
): () => void {
  return watchDataDirectory({
    dataDir,
    subdirectories: [],
    classify: (relativePath) => (relativePath === configFileName ? 'all' : undefined),
    listener: () => listener(),
    debounceMs: options.debounceMs ?? 150,
    logger: options.logger ?? silentLogger,
  });
}
