/**
 * The model names the client writers configure. Each is a name agw serves (docs/models.md) that the client passes
 * through unchanged; the reasons are next to each.
 */
export const setupModels = {
  /** Claude Code's "opus" slot (plan mode, hard tasks): the strongest Claude upstream. */
  claudeOpus: 'claude-opus-4-6-thinking',
  /** Claude Code's default "sonnet" slot, Codex's and opencode's main model: Claude Sonnet through agw. */
  claudeSonnet: 'claude-sonnet-4-6',
  /**
   * Claude Code's "haiku" slot (titles, summaries, quick checks): a fast Gemini model, so background chatter does
   * not spend the Claude quota.
   */
  claudeHaiku: 'gemini-3-flash',
  /**
   * Gemini CLI's model. Gemini CLI rewrites the names it treats as aliases (`gemini-3-flash` becomes its newest
   * flash model, which Cloud Code may not serve); a preview name it keeps as written and agw serves as is.
   */
  geminiCli: 'gemini-3.1-pro-preview',
} as const;

/** The models opencode lists under the agw provider (name shown in its model picker). */
export const opencodeModels: ReadonlyArray<{ id: string; name: string }> = [
  { id: 'claude-sonnet-4-6', name: 'Claude Sonnet 4.6 (agw)' },
  { id: 'claude-sonnet-4-6-thinking', name: 'Claude Sonnet 4.6 Thinking (agw)' },
  { id: 'claude-opus-4-6-thinking', name: 'Claude Opus 4.6 Thinking (agw)' },
  { id: 'gemini-3-flash', name: 'Gemini 3 Flash (agw)' },
  { id: 'gemini-3.1-pro-high', name: 'Gemini 3.1 Pro High (agw)' },
];
