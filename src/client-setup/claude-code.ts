/**
 * Claude Code: `~/.claude/settings.json` carries environment variables in its `env` object, which Claude Code applies
 * to every session (interactive or `claude -p`). agw is reached with ANTHROPIC_BASE_URL and the key as
 * ANTHROPIC_AUTH_TOKEN (sent as `Authorization: Bearer`, which agw accepts; unlike ANTHROPIC_API_KEY it needs no
 * interactive approval). An ANTHROPIC_API_KEY left in the same `env` would conflict with the token, so it is
 * removed (the backup keeps it). The three model slots are pointed at models agw serves. `~/.claude.json` gets
 * `hasCompletedOnboarding`, so an interactive start does not open the Anthropic login wizard.
 */
import { join } from 'node:path';
import { editJsonObject } from './json-document.ts';
import { setupModels } from './models.ts';
import type { ClientWriter, SettingChange } from './types.ts';

export const claudeCodeWriter: ClientWriter = {
  name: 'claude-code',
  title: 'Claude Code',
  files: (home) => [join(home, '.claude', 'settings.json'), join(home, '.claude.json')],
  plan(current, home, target) {
    const [settingsPath, statePath] = this.files(home) as [string, string];
    const environment: Array<[string, string | undefined, boolean?]> = [
      ['ANTHROPIC_BASE_URL', target.baseUrl],
      ['ANTHROPIC_AUTH_TOKEN', target.apiKey, true],
      ['ANTHROPIC_API_KEY', undefined],
      ['ANTHROPIC_DEFAULT_OPUS_MODEL', setupModels.claudeOpus],
      ['ANTHROPIC_DEFAULT_SONNET_MODEL', setupModels.claudeSonnet],
      ['ANTHROPIC_DEFAULT_HAIKU_MODEL', setupModels.claudeHaiku],
    ];
    const settingsChanges: SettingChange[] = environment.map(([name, value, secret]) => ({
      key: `env.${name}`,
      value,
      ...(secret ? { secret } : {}),
    }));
    return [
      {
        path: settingsPath,
        text: editJsonObject(
          settingsPath,
          current.get(settingsPath),
          'json',
          environment.map(([name, value]) => ({ path: ['env', name], value })),
        ),
        changes: settingsChanges,
      },
      {
        path: statePath,
        text: editJsonObject(statePath, current.get(statePath), 'json', [
          { path: ['hasCompletedOnboarding'], value: true },
        ]),
        changes: [{ key: 'hasCompletedOnboarding', value: 'true' }],
      },
    ];
  },
  notes: () => [
    'Start Claude Code as usual (`claude`, or `claude -p "…"`); it now talks to agw.',
    'ANTHROPIC_* variables exported in your shell take precedence over these settings.',
  ],
};
