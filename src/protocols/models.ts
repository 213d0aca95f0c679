/**
 * Client model name → upstream model name. Owned by the protocols work; this is a placeholder signature.
 */

export interface ModelMappingSettings {
  /** Exact keys and `*` wildcard keys → upstream model (gui_config.json `proxy.custom_mapping`). */
  customMapping: Readonly<Record<string, string>>;
}

export interface ModelResolution {
  upstreamModel: string;
  /** Which rule decided: `custom-exact`, `custom-wildcard`, `built-in`, `pass-through`. */
  rule: string;
}

export function resolveModel(clientModel: string, _settings: ModelMappingSettings): ModelResolution {
  return { upstreamModel: clientModel, rule: 'pass-through' };
}
