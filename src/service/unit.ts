/**
 * What the service runs: this Node binary with agw's entry script, `serve`, and the data directory pinned (so the
 * service uses the directory the user's CLI uses). Host and port stay in gui_config.json, where `agw config set`
 * changes them.
 */
export interface ServiceCommand {
  /** Absolute path of the Node binary (Node 24). */
  readonly node: string;
  /** Absolute path of bin/agw.js. */
  readonly entry: string;
  readonly dataDir: string;
}

export function serviceArguments(command: ServiceCommand): string[] {
  return [command.node, command.entry, '--data-dir', command.dataDir, 'serve'];
}

/** The systemd user unit's name and the launchd agent's label. */
export const systemdUnitName = 'agw.service';
export const launchdLabel = 'com.antigravity-gateway.agw';
export const serviceDescription =
  'agw (Antigravity Gateway): OpenAI, Anthropic and Gemini APIs from a pool of Google accounts';
