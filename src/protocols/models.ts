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
}

export type ModelRule = 'custom-exact' | 'custom-wildcard' | 'built-in' | 'claude-family' | 'pass-through';

export interface ModelResolution {
  upstreamModel: string;
  /** Which rule decided: `custom-exact`, `custom-wildcard`, `built-in`, `pass-through`. */
  rule: ModelRule | string;
  /** The custom-mapping key that matched, for `custom-*` rules. */
  matchedKey?: string;
}

const sonnet = 'claude-sonnet-4-6';
const sonnetThinking = 'claude-sonnet-4-6-thinking';
const opusThinking = 'claude-opus-4-6-thinking';
const flash25 = 'gemini-2.5-flash';

/** The built-in table (reference §3.4). Client id → upstream id. */
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
  'gpt-4': flash25,
  'gpt-4-turbo': flash25,
  'gpt-4-turbo-preview': flash25,
  'gpt-4-0125-preview': flash25,
  'gpt-4-1106-preview': flash25,
  'gpt-4-0613': flash25,
  'gpt-4o': flash25,
  'gpt-4o-2024-05-13': flash25,
  'gpt-4o-2024-08-06': flash25,
  'gpt-4o-mini': flash25,
  'gpt-4o-mini-2024-07-18': flash25,
  'gpt-3.5-turbo': flash25,
  'gpt-3.5-turbo-16k': flash25,
  'gpt-3.5-turbo-0125': flash25,
  'gpt-3.5-turbo-1106': flash25,
  'gpt-3.5-turbo-0613': flash25,
  'gemini-2.5-flash-lite': flash25,
  'gemini-2.5-flash': flash25,
  'internal-background-task': flash25,
  'gemini-2.5-flash-thinking': 'gemini-2.5-flash-thinking',
  'gemini-3.1-pro-low': 'gemini-3.1-pro-low',
  'gemini-3-pro-low': 'gemini-3-pro-low',
  'gemini-3.1-pro-preview': 'gemini-3.1-pro-preview',
  'gemini-3-pro-preview': 'gemini-3-pro-preview',
  'gemini-3-flash': 'gemini-3-flash',
  'gemini-3-pro-image': 'gemini-3-pro-image',
  'gemini-3.1-pro-high': 'gemini-pro-agent',
  'gemini-3-pro-high': 'gemini-pro-agent',
  'gemini-3.1-pro': 'gemini-3.1-pro-preview',
  'gemini-3-pro': 'gemini-3-pro-preview',
});

/** Ids listed in /v1/models besides the table keys, because they are useful upstream names themselves. */
const extraListedModels = ['gemini-3.1-pro-low', 'gemini-2.5-flash', 'gemini-3-flash', 'gemini-3.1-pro-high'];

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
 * on a tie the key that comes first in the mapping wins), built-in table, else the name unchanged.
 */
export function resolveModel(clientModel: string, settings: ModelMappingSettings): ModelResolution {
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
