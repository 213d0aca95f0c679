/**
 * The one model table of the fake: every id the backend serves today, every id it retired (with its
 * replacement, as `deprecatedModelIds` reports it), and the metadata fetchAvailableModels lists. Facts and their
 * sources are in docs/fake-google.md ("Model registry").
 */

export interface FakeModelInfo {
  displayName: string;
  supportsImages: boolean;
  supportsThinking: boolean;
  thinkingBudget: number;
  recommended: boolean;
  maxTokens: number;
  /** Reported by fetchAvailableModels and, with the `outputCaps` rule, the largest accepted maxOutputTokens. */
  maxOutputTokens: number;
  /** Image-generation models answer with an inlineData image part. */
  generatesImages: boolean;
  /** Listed and served only to clients reporting at least the `gatedModelVersion` setting. */
  versionGated: boolean;
}

/** A model the backend no longer serves; with the `retiredModels` rule generate calls get `status`. */
export interface RetiredModel {
  /** What `deprecatedModelIds` forwards the id to. */
  replacement: string;
  /** 404 for most retirements; Google answered 400 for some preview ids. */
  status: 404 | 400;
  /**
   * Metadata while the `retiredModels` rule is off: the fake then still lists and serves the id, as the backend
   * did when agw was built. Ids the fake never served have none and stay unknown either way.
   */
  legacy?: FakeModelInfo;
}

export type ModelRow = { state: 'current'; info: FakeModelInfo } | ({ state: 'retired' } & RetiredModel);

function info(displayName: string, overrides: Partial<FakeModelInfo> = {}): FakeModelInfo {
  return {
    displayName,
    supportsImages: true,
    supportsThinking: false,
    thinkingBudget: 0,
    recommended: false,
    maxTokens: 1048576,
    maxOutputTokens: 65536,
    generatesImages: false,
    versionGated: false,
    ...overrides,
  };
}

const current = (model: FakeModelInfo): ModelRow => ({ state: 'current', info: model });
const retired = (replacement: string, legacy?: FakeModelInfo, status: 404 | 400 = 404): ModelRow =>
  legacy === undefined ? { state: 'retired', replacement, status } : { state: 'retired', replacement, status, legacy };

const thinking = { supportsThinking: true, thinkingBudget: 10000 };
const claude = { maxTokens: 200000, maxOutputTokens: 64000 };
/** Output limit of the Gemini models that cap at 65535 (reference system's model_limits.rs). */
const geminiCap65535 = { maxOutputTokens: 65535 };
const gated = { versionGated: true };

/** Every id the fake knows, current first, then retired (insertion order is the listing order). */
export const modelTable: Readonly<Record<string, ModelRow>> = {
  'claude-opus-4-6-thinking': current(
    info('Claude Opus 4.6 (Thinking)', { ...claude, ...thinking, maxOutputTokens: 57344, recommended: true }),
  ),
  'claude-sonnet-4-6': current(info('Claude Sonnet 4.6', { ...claude, recommended: true })),
  'gemini-3-flash': current(info('Gemini 3 Flash', { ...thinking, recommended: true })),
  'gemini-3-flash-agent': current(info('Gemini 3 Flash', { ...thinking, recommended: true })),
  'gemini-3.5-flash-low': current(info('Gemini 3.5 Flash (Low)', { ...thinking, thinkingBudget: 1024, ...gated })),
  'gemini-3.5-flash-extra-low': current(
    info('Gemini 3.5 Flash (Extra Low)', { ...thinking, thinkingBudget: 128, ...gated }),
  ),
  'gemini-3.6-flash-high': current(info('Gemini 3.6 Flash (High)', { ...thinking, thinkingBudget: 24576, ...gated })),
  'gemini-3.7-flash-high': current(
    info('Gemini 3.7 Flash (High)', { ...thinking, thinkingBudget: 24576, recommended: true, ...gated }),
  ),
  'gemini-pro-agent': current(info('Gemini 3.1 Pro (High)', { ...thinking, ...geminiCap65535, recommended: true })),
  'gemini-3.1-pro-low': current(info('Gemini 3.1 Pro (Low)', { ...thinking, ...geminiCap65535, thinkingBudget: 1024 })),
  'gemini-3.1-flash-lite': current(info('Gemini 3.1 Flash Lite')),
  'gemini-3.1-flash-image': current(info('Gemini 3.1 Flash Image', { generatesImages: true, maxOutputTokens: 32768 })),
  'gpt-oss-120b-medium': current(
    info('GPT-OSS 120B (Medium)', { supportsImages: false, maxTokens: 131072, maxOutputTokens: 32768 }),
  ),
  // Retired ids (upstream-and-protocols.md, "Backend changes peers met in 2026").
  'gemini-2.5-flash': retired(
    'gemini-3.1-flash-lite',
    info('Gemini 2.5 Flash', { ...thinking, ...geminiCap65535, thinkingBudget: 24576 }),
  ),
  'gemini-2.5-flash-lite': retired('gemini-3.1-flash-lite'),
  'gemini-2.5-flash-thinking': retired(
    'gemini-3-flash',
    info('Gemini 2.5 Flash (Thinking)', { ...thinking, ...geminiCap65535, thinkingBudget: 24576 }),
  ),
  'gemini-3-pro-high': retired('gemini-pro-agent'),
  'gemini-3-pro-low': retired('gemini-3.1-pro-low'),
  'gemini-3.1-pro-preview': retired(
    'gemini-pro-agent',
    info('Gemini 3.1 Pro Preview', { ...thinking, ...geminiCap65535 }),
    400,
  ),
  'gemini-3-pro-preview': retired('gemini-pro-agent', info('Gemini 3 Pro Preview', { ...thinking, ...geminiCap65535 })),
  'gemini-3-pro-image': retired(
    'gemini-3.1-flash-image',
    info('Gemini 3 Pro Image', { generatesImages: true, ...geminiCap65535 }),
  ),
  'claude-sonnet-4-6-thinking': retired(
    'claude-sonnet-4-6',
    info('Claude Sonnet 4.6 (Thinking)', { ...claude, ...thinking, recommended: true }),
  ),
  'claude-sonnet-4-5': retired('claude-sonnet-4-6'),
};

/** The ids the backend serves today (CLIProxyAPI's Antigravity registry, Aug 2026). */
export const currentModelNames: readonly string[] = Object.keys(modelTable).filter(
  (name) => modelTable[name]!.state === 'current',
);

/** `deprecatedModelIds` as fetchAvailableModels reports it: retired id → `{newModelId}`. */
export const deprecatedModelIds: Readonly<Record<string, { newModelId: string }>> = Object.fromEntries(
  Object.entries(modelTable).flatMap(([name, row]) =>
    row.state === 'retired' ? [[name, { newModelId: row.replacement }]] : [],
  ),
);

/**
 * Metadata of every id the fake can serve when the `retiredModels` rule is off (today's models plus the retired
 * ids it served before), keyed by id.
 */
export const fakeModels: Readonly<Record<string, FakeModelInfo>> = Object.fromEntries(
  Object.entries(modelTable).flatMap(([name, row]) => {
    if (row.state === 'current') return [[name, row.info]];
    return row.legacy === undefined ? [] : [[name, row.legacy]];
  }),
);

/** Every id the fake serves with its default settings (the `retiredModels` rule off). */
export const knownModelNames: readonly string[] = Object.keys(fakeModels);

/** The retirement record of an id, or undefined when it is current or unknown. */
export function retirementOf(model: string): RetiredModel | undefined {
  const row = modelTable[model];
  return row?.state === 'retired' ? row : undefined;
}

/** Thinking models answer with thought parts and a signature even when `includeThoughts` is not set. */
export function isThinkingModel(model: string): boolean {
  return model.includes('thinking') || model.includes('claude-opus') || model.includes('pro-agent');
}

export function isClaudeModel(model: string): boolean {
  return model.startsWith('claude');
}

export function isGeminiModel(model: string): boolean {
  return model.startsWith('gemini');
}
