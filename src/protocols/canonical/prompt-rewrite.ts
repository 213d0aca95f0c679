/**
 * The optional rewrite of system-prompt phrases that trigger Google's prompt filter (issue 16): the backend answers
 * a 429/503 without any quota reason for some texts (the Claude Agent SDK identity line, Codex's identity line,
 * `<system-conventions>`, …). Off by default; the phrases are a setting (`agw.prompt_rewrite_phrases`), each
 * `find` or `find => replacement` (a bare phrase is removed). Only the system instruction is rewritten: that is
 * the only place the filter looks, and user turns must reach the model as the user wrote them.
 */
import type { GeminiRequest } from './types.ts';

export interface PromptRewriteRule {
  readonly find: string;
  readonly replace: string;
}

/** Parses the setting's entries; empty `find`s are dropped. */
export function parsePromptRewriteRules(phrases: readonly string[]): PromptRewriteRule[] {
  const rules: PromptRewriteRule[] = [];
  for (const phrase of phrases) {
    const separator = phrase.indexOf(' => ');
    const find = (separator === -1 ? phrase : phrase.slice(0, separator)).trim();
    const replace = separator === -1 ? '' : phrase.slice(separator + 4).trim();
    if (find !== '') rules.push({ find, replace });
  }
  return rules;
}

function rewriteText(text: string, rules: readonly PromptRewriteRule[]): string {
  let result = text;
  for (const rule of rules) result = result.replaceAll(rule.find, rule.replace);
  return result;
}

/** The request with every rule applied to the system instruction's text parts; the same object when unchanged. */
export function rewriteSystemPrompt(request: GeminiRequest, rules: readonly PromptRewriteRule[]): GeminiRequest {
  const system = request.systemInstruction;
  if (system === undefined || rules.length === 0) return request;
  let changed = false;
  const parts = system.parts.map((part) => {
    if (typeof part.text !== 'string') return part;
    const text = rewriteText(part.text, rules);
    if (text === part.text) return part;
    changed = true;
    return { ...part, text };
  });
  return changed ? { ...request, systemInstruction: { ...system, parts } } : request;
}
