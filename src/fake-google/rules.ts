/**
 * Backend behaviours of 2026 that the fake can enforce, each a switch so agw's suite stays green while agw has
 * not learnt to handle them yet (docs/fake-google.md, "Backend rules"). The integrator flips the defaults.
 */

export interface PromptFilterRule {
  enabled: boolean;
  /** Case-sensitive substrings of the system instruction that trigger the filter. */
  phrases: string[];
  /** 429 RESOURCE_EXHAUSTED (the usual form) or 503 UNAVAILABLE; neither carries a quota reason. */
  status: 429 | 503;
}

export interface ClientVersionRule {
  /** Below this reported version generate calls answer HTTP 200 with the "no longer supported" text; null = off. */
  minimumSupported: string | null;
  /** Version-gated models are listed and served only from this reported version on. */
  gatedModelVersion: string;
}

export interface FakeRules {
  /** Retired ids are not listed and their generate calls fail (404 "Requested entity was not found."). */
  retiredModels: boolean;
  /** Image models need `requestType: "image_gen"` and a `image_gen/<ms>/<uuid>/<n>` requestId. */
  imageRequestType: boolean;
  /** maxOutputTokens above the model's limit is a 400. */
  outputCaps: boolean;
  /** Claude with function calling mode VALIDATED rejects a declaration without a `required` property. */
  validatedToolsRequired: boolean;
  /** Claude with thinking on rejects a final model turn with a function call but no valid thought signature. */
  claudeToolHistoryThinking: boolean;
  promptFilter: PromptFilterRule;
  clientVersion: ClientVersionRule;
}

/** Partial settings for `setRules`: nested objects are merged, not replaced. */
export interface FakeRulesPatch extends Partial<Omit<FakeRules, 'promptFilter' | 'clientVersion'>> {
  promptFilter?: Partial<PromptFilterRule>;
  clientVersion?: Partial<ClientVersionRule>;
}

/** The trigger phrases peers documented (reference prompt_sanitizer.rs, CLIProxyAPI false-429 fingerprint). */
export const defaultTriggerPhrases: readonly string[] = [
  "You are a Claude agent, built on Anthropic's Claude Agent SDK.",
  'You are Codex, based on GPT-',
  '<system-conventions>',
  'RFC 2119: MUST, REQUIRED, SHOULD',
];

/** The text Google answers old clients with, inside an HTTP 200. */
export const unsupportedVersionText =
  'This version of Antigravity is no longer supported. Please update to receive the latest features!';

export function defaultRules(): FakeRules {
  return {
    retiredModels: true,
    imageRequestType: true,
    outputCaps: true,
    validatedToolsRequired: true,
    claudeToolHistoryThinking: true,
    promptFilter: { enabled: true, phrases: [...defaultTriggerPhrases], status: 429 },
    // agw reports 4.3.0; 1.15.8 and older were refused by mid-2026 (docs/fake-google.md).
    clientVersion: { minimumSupported: '1.23.2', gatedModelVersion: '2.9.0' },
  };
}

export function mergeRules(rules: FakeRules, patch: FakeRulesPatch): FakeRules {
  const { promptFilter, clientVersion, ...flat } = patch;
  return {
    ...rules,
    ...flat,
    promptFilter: { ...rules.promptFilter, ...promptFilter },
    clientVersion: { ...rules.clientVersion, ...clientVersion },
  };
}
