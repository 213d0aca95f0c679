/**
 * Client model name → upstream model name, the model list, and model-family helpers.
 *
 * The rules are exactly the ones documented in docs/models.md: custom exact, custom wildcard, built-in table,
 * pass-through. Nothing else rewrites a model name, and nothing here changes thinking or token settings.
 */

import { GatewayError } from '../errors/catalogue.ts';

const maxModelNameLength = 256;
const modelNamePattern = new RegExp(`^[\\x21-\\x7e]{1,${maxModelNameLength}}$`);

export interface ModelMappingSettings {
  /** Exact keys and `*` wildcard keys → upstream model (gui_config.json `proxy.custom_mapping`). */
  customMapping: Readonly<Record<string, string>>;
  /**
   * Retired upstream id → the id the backend forwards it to (`deprecatedModelIds` of fetchAvailableModels, as the
   * accounts' quota snapshots store it). Applied after every rule, so no alias lands on a retired id.
   */
  forwarding?: Readonly<Record<string, string>>;
}

export type ModelRule = 'custom-exact' | 'custom-wildcard' | 'built-in' | 'claude-family' | 'pass-through';

export interface ModelResolution {
  upstreamModel: string;
  /** Which rule decided: `custom-exact`, `custom-wildcard`, `built-in`, `pass-through`. */
  rule: ModelRule | string;
  /** The custom-mapping key that matched, for `custom-*` rules. */
  matchedKey?: string;
  /** The retired id the rule gave before `deprecatedModelIds` forwarding replaced it. */
  forwardedFrom?: string;
}

// Every target is an id the backend serves today (issue 16; CLIProxyAPI's Antigravity registry): the retired
// claude-sonnet-4-6-thinking, gemini-2.5-*, gemini-3-pro-* and gemini-3.1-pro-preview ids answer 404 (or 400).
// Claude Sonnet thinks by its thinking config, not by a `-thinking` id.
const sonnet = 'claude-sonnet-4-6';
const sonnetThinking = sonnet;
const opusThinking = 'claude-opus-4-6-thinking';
const flash = 'gemini-3-flash';
const flashLite = 'gemini-3.1-flash-lite';
const proHigh = 'gemini-pro-agent';
const proLow = 'gemini-3.1-pro-low';
const flashImage = 'gemini-3.1-flash-image';
/** Claude Code's title/summary side calls: cheap and without thinking (the same as config `backgroundTaskModel`'s default). */
const defaultBackgroundTaskModel = flashLite;

/** The built-in table (reference §3.4, retargeted to today's ids). Client id → upstream id. */
export const builtInModelTable: Readonly<Record<string, string>> = Object.freeze({
  'claude-sonnet-4-6': sonnet,
  'claude-sonnet-4-5': sonnet,
  'claude-3-5-sonnet-20241022': sonnet,
  'claude-3-5-sonnet-20240620': sonnet,
  'claude-haiku-4': sonnet,
  'claude-3-haiku-20240307': sonnet,
  'claude-haiku-4-5-20251001': sonnet,
  'claude-sonnet-4-6-thinking': sonnetThinking,
  'claude-sonnet-4-5-thinking': sonnetThinking,
  'claude-sonnet-4-5-20250929': sonnetThinking,
  'claude-opus-4': opusThinking,
  'claude-opus-4-5-thinking': opusThinking,
  'claude-opus-4-5-20251101': opusThinking,
  'claude-opus-4-6': opusThinking,
  'claude-opus-4-6-thinking': opusThinking,
  'claude-opus-4.6': opusThinking,
  'claude-opus-4.6-thinking': opusThinking,
  'claude-opus-4-6-20260201': opusThinking,
  'gpt-4': flash,
  'gpt-4-turbo': flash,
  'gpt-4-turbo-preview': flash,
  'gpt-4-0125-preview': flash,
  'gpt-4-1106-preview': flash,
  'gpt-4-0613': flash,
  'gpt-4o': flash,
  'gpt-4o-2024-05-13': flash,
  'gpt-4o-2024-08-06': flash,
  'gpt-4o-mini': flash,
  'gpt-4o-mini-2024-07-18': flash,
  'gpt-3.5-turbo': flash,
  'gpt-3.5-turbo-16k': flash,
  'gpt-3.5-turbo-0125': flash,
  'gpt-3.5-turbo-1106': flash,
  'gpt-3.5-turbo-0613': flash,
  'gemini-2.5-flash-lite': flashLite,
  'gemini-2.5-flash': flashLite,
  'internal-background-task': defaultBackgroundTaskModel,
  'gemini-2.5-flash-thinking': flash,
  'gemini-3.1-pro-low': proLow,
  'gemini-3-pro-low': proLow,
  'gemini-3.1-pro-preview': proHigh,
  'gemini-3-pro-preview': proHigh,
  'gemini-3-flash': flash,
  'gemini-3-pro-image': flashImage,
  'gemini-3.1-pro-high': proHigh,
  'gemini-3-pro-high': proHigh,
  'gemini-3.1-pro': proHigh,
  'gemini-3-pro': proHigh,
});

/** Ids listed in /v1/models besides the table keys, because they are useful upstream names themselves. */
const extraListedModels = [
  'gemini-3.1-pro-low',
  'gemini-3-flash',
  'gemini-3.1-pro-high',
  'gemini-pro-agent',
  'gemini-3.1-flash-lite',
  'gemini-3.1-flash-image',
];

function hasOwn(record: Readonly<Record<string, string>>, key: string): boolean {
  return Object.hasOwn(record, key);
}

/** Case-sensitive glob match where `*` matches any run of characters (also empty). */
export function wildcardMatches(pattern: string, value: string): boolean {
  const pieces = pattern.split('*');
  const first = pieces[0] ?? '';
  const last = pieces.at(-1) ?? '';
  if (pieces.length === 1) return pattern === value;
  if (!value.startsWith(first) || value.length < first.length + last.length || !value.endsWith(last)) return false;
  let position = first.length;
  const limit = value.length - last.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = value.indexOf(piece, position);
    if (found === -1 || found + piece.length > limit) return false;
    position = found + piece.length;
  }
  return true;
}

function specificity(pattern: string): number {
  return pattern.replaceAll('*', '').length;
}

/**
 * Resolves the upstream model. Priority: custom exact key, custom `*` wildcard (most non-`*` characters wins;
 * on a tie the key that comes first in the mapping wins), built-in table, else the name unchanged. Then a retired
 * result is forwarded to its replacement (`settings.forwarding`).
 */
export function resolveModel(clientModel: string, settings: ModelMappingSettings): ModelResolution {
  const mapped = resolveMapped(clientModel, settings);
  const forwarded = followForwarding(mapped.upstreamModel, settings.forwarding ?? {});
  return forwarded === mapped.upstreamModel
    ? mapped
    : { ...mapped, upstreamModel: forwarded, forwardedFrom: mapped.upstreamModel };
}

/** Bound on forwarding hops (a → b → c); a cycle in what Google reports must not hang a request. */
const maxForwardingHops = 4;

/** The id a retired id is forwarded to, hop by hop; the id itself when it is not retired. */
export function followForwarding(model: string, forwarding: Readonly<Record<string, string>>): string {
  let current = model;
  for (let hop = 0; hop < maxForwardingHops && hasOwn(forwarding, current); hop++) {
    const next = forwarding[current] as string;
    if (next === '' || next === current) break;
    current = next;
  }
  return current;
}

function resolveMapped(clientModel: string, settings: ModelMappingSettings): ModelResolution {
  // The name travels on in the X-Mapped-Model header and the upstream envelope: a huge or control-character name
  // would break the response headers (a 500, or a client that cannot parse them), so it is refused up front.
  if (!modelNamePattern.test(clientModel)) {
    throw new GatewayError(
      'AGW_INVALID_REQUEST',
      `model: must be 1 to ${maxModelNameLength} printable ASCII characters without spaces`,
      { details: { field: 'model' } },
    );
  }
  const custom = settings.customMapping;
  if (hasOwn(custom, clientModel) && !clientModel.includes('*')) {
    return { upstreamModel: custom[clientModel] as string, rule: 'custom-exact', matchedKey: clientModel };
  }
  let best: string | undefined;
  for (const key of Object.keys(custom)) {
    if (!key.includes('*') || !wildcardMatches(key, clientModel)) continue;
    if (best === undefined || specificity(key) > specificity(best)) best = key;
  }
  if (best !== undefined) return { upstreamModel: custom[best] as string, rule: 'custom-wildcard', matchedKey: best };
  if (hasOwn(builtInModelTable, clientModel)) {
    return { upstreamModel: builtInModelTable[clientModel] as string, rule: 'built-in' };
  }
  const family = claudeFamilyFallbacks.find(([pattern]) => pattern.test(clientModel));
  if (family !== undefined) return { upstreamModel: family[1], rule: 'claude-family' };
  return { upstreamModel: clientModel, rule: 'pass-through' };
}

/**
 * Claude model names the built-in table does not list yet (new releases that clients such as Claude Code pick by
 * default, e.g. `claude-opus-4-8`) go to the newest model of the same family Cloud Code serves, instead of
 * failing upstream with 404 as the reference does. Custom mappings still win.
 */
const claudeFamilyFallbacks: ReadonlyArray<readonly [RegExp, string]> = [
  [/^claude-(?:\d[\w.-]*-)?opus/, 'claude-opus-4-6-thinking'],
  [/^claude-(?:\d[\w.-]*-)?sonnet/, 'claude-sonnet-4-6'],
  [/^claude-(?:\d[\w.-]*-)?haiku/, 'claude-sonnet-4-6'],
];

/**
 * Model ids for /v1/models: the accounts' own model names, the custom mapping's exact keys (wildcard keys are
 * patterns, not ids), the built-in table keys and a few upstream names; deduplicated and sorted.
 */
export function listModels(
  customMapping: Readonly<Record<string, string>>,
  accountModelNames: Iterable<string> = [],
): string[] {
  const ids = new Set<string>();
  for (const name of accountModelNames) if (name.trim() !== '') ids.add(name);
  for (const key of Object.keys(customMapping)) if (!key.includes('*') && key.trim() !== '') ids.add(key);
  for (const key of Object.keys(builtInModelTable)) ids.add(key);
  for (const name of extraListedModels) ids.add(name);
  ids.delete('internal-background-task');
  return [...ids].sort();
}

export type ModelFamily = 'claude' | 'gemini' | 'other';

/** Broad family of an upstream model, for behaviour that differs between Claude and Gemini upstreams. */
export function modelFamily(model: string): ModelFamily {
  const lower = model.toLowerCase();
  if (/claude|opus|sonnet|haiku/.test(lower)) return 'claude';
  if (lower.includes('gemini')) return 'gemini';
  return 'other';
}

/**
 * True when the upstream model thinks by default, so the answer should include thoughts. Flash-lite and image
 * models are excluded: they are used precisely to avoid thinking cost.
 */
export function isThinkingModel(model: string): boolean {
  const lower = model.toLowerCase();
  if (lower.endsWith('-thinking')) return true;
  if (!lower.includes('gemini') || lower.includes('image') || lower.includes('flash-lite')) return false;
  return (
    lower.includes('-thinking') ||
    lower.includes('flash') ||
    /gemini-2\.0-pro|gemini-3-pro|gemini-3\.1-pro|gemini-pro|-pro-agent/.test(lower)
  );
}

/** The image models need `requestType: image_gen` in the envelope. */
export function isImageModel(model: string): boolean {
  return model.toLowerCase().includes('-image');
}

/**
 * The largest `maxOutputTokens` the backend accepts for a model (issue 16; fetchAvailableModels' `maxOutputTokens`,
 * the reference's model_limits.rs): more is a 400, so agw caps a client's larger limit instead of sending it.
 */
export function outputLimit(model: string): number {
  const lower = model.toLowerCase();
  if (modelFamily(lower) === 'claude') return /opus-4-6|opus-4\.6/.test(lower) ? 57_344 : 64_000;
  if (lower.startsWith('gpt-oss')) return 32_768;
  if (lower.includes('flash-image')) return 32_768;
  if (/gemini-pro-agent|gemini-3(\.1)?-pro|gemini-2\.5-flash/.test(lower)) return 65_535;
  return 65_536;
}
