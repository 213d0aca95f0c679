/**
 * The shapes shared by the client-setup writers: what agw tells a client (where it is and which key to send), and
 * what a writer plans for each file it owns. Writers are pure: they get the files' current text and return the
 * new text; src/client-setup/apply.ts does the reading, backing up and writing.
 */

export const clientNames = ['claude-code', 'codex', 'gemini-cli', 'opencode'] as const;
export type ClientName = (typeof clientNames)[number];

export function isClientName(value: string): value is ClientName {
  return (clientNames as readonly string[]).includes(value);
}

/** Where clients reach agw and with which key. */
export interface SetupTarget {
  /** The gateway's root URL without a trailing slash, e.g. http://127.0.0.1:8045 */
  readonly baseUrl: string;
  readonly apiKey: string;
}

/** One setting a writer sets (or removes, when `value` is undefined), for the report. */
export interface SettingChange {
  /** Where it lives inside the file, e.g. `env.ANTHROPIC_BASE_URL` or `[model_providers.agw]`. */
  readonly key: string;
  readonly value: string | undefined;
  /** The value is the API key: reports show it masked. */
  readonly secret?: boolean;
}

/** A writer's plan for one file. */
export interface FilePlan {
  readonly path: string;
  /** The file's text after setup. */
  readonly text: string;
  readonly changes: readonly SettingChange[];
}

/** A client's settings writer: which files it owns and what it writes into them. */
export interface ClientWriter {
  readonly name: ClientName;
  /** The client's product name, for messages. */
  readonly title: string;
  /** Absolute paths of the files this writer edits, under `home`. */
  files(home: string): readonly string[];
  /**
   * The new text of each file, from its current text (undefined when the file does not exist). Throws
   * AGW_CONFIG_INVALID, naming the file, when a current file cannot be read safely.
   */
  plan(current: ReadonlyMap<string, string | undefined>, home: string, target: SetupTarget): readonly FilePlan[];
  /** What the user should know after setup (e.g. how to start the client, what it cannot do). */
  notes(target: SetupTarget): readonly string[];
}
