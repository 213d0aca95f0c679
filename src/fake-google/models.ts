/**
 * The models the fake serves, with the metadata fetchAvailableModels reports for them.
 */

export interface FakeModelInfo {
  displayName: string;
  supportsImages: boolean;
  supportsThinking: boolean;
  thinkingBudget: number;
  recommended: boolean;
  maxTokens: number;
  maxOutputTokens: number;
  /** Image-generation models answer with an inlineData PNG part. */
  generatesImages: boolean;
}

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
    ...overrides,
  };
}

const thinking = { supportsThinking: true, thinkingBudget: 10000 };
const claude = { maxTokens: 200000, maxOutputTokens: 64000 };

export const fakeModels: Readonly<Record<string, FakeModelInfo>> = {
  'claude-sonnet-4-6': info('Claude Sonnet 4.6', { ...claude, recommended: true }),
  'claude-sonnet-4-6-thinking': info('Claude Sonnet 4.6 (Thinking)', { ...claude, ...thinking, recommended: true }),
  'claude-opus-4-6-thinking': info('Claude Opus 4.6 (Thinking)', { ...claude, ...thinking, recommended: true }),
  'gemini-2.5-flash': info('Gemini 2.5 Flash', { ...thinking, thinkingBudget: 24576 }),
  'gemini-2.5-flash-thinking': info('Gemini 2.5 Flash (Thinking)', { ...thinking, thinkingBudget: 24576 }),
  'gemini-3-flash': info('Gemini 3 Flash', { ...thinking, recommended: true }),
  'gemini-3-flash-agent': info('Gemini 3 Flash', { ...thinking, recommended: true }),
  'gemini-pro-agent': info('Gemini 3.1 Pro (High)', { ...thinking, recommended: true }),
  'gemini-3.1-pro-preview': info('Gemini 3.1 Pro Preview', thinking),
  'gemini-3-pro-preview': info('Gemini 3 Pro Preview', thinking),
  'gemini-3.1-pro-low': info('Gemini 3.1 Pro (Low)', { ...thinking, thinkingBudget: 1024 }),
  'gemini-3.1-flash-lite': info('Gemini 3.1 Flash Lite'),
  'gemini-3-pro-image': info('Gemini 3 Pro Image', { generatesImages: true, maxOutputTokens: 32768 }),
  'gemini-3.1-flash-image': info('Gemini 3.1 Flash Image', { generatesImages: true, maxOutputTokens: 32768 }),
  'gpt-oss-120b-medium': info('GPT-OSS 120B (Medium)', {
    supportsImages: false,
    maxTokens: 131072,
    maxOutputTokens: 32768,
  }),
};

/** Old ids Google still reports with their replacement (`deprecatedModelIds`). */
export const deprecatedModelIds: Readonly<Record<string, { newModelId: string }>> = {
  'gemini-3-pro-high': { newModelId: 'gemini-pro-agent' },
  'claude-sonnet-4-5': { newModelId: 'claude-sonnet-4-6' },
};

export const knownModelNames: readonly string[] = Object.keys(fakeModels);

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
