/**
 * Gemini CLI: it takes its base URL only from the environment (GOOGLE_GEMINI_BASE_URL), which it loads from
 * `~/.gemini/.env` together with GEMINI_API_KEY; `~/.gemini/settings.json` selects API-key authentication
 * (`security.auth.selectedType`) and the model (`model.name`).
 *
 * Gemini CLI reads `~/.gemini/.env` only in folders the user has trusted (its folder-trust prompt), so in an
 * untrusted folder it falls back to its own login; the notes say so.
 */
import { join } from 'node:path';
import { editEnvFile } from './env-file.ts';
import { editJsonObject } from './json-document.ts';
import { setupModels } from './models.ts';
import type { ClientWriter } from './types.ts';

export const geminiCliWriter: ClientWriter = {
  name: 'gemini-cli',
  title: 'Gemini CLI',
  files: (home) => [join(home, '.gemini', '.env'), join(home, '.gemini', 'settings.json')],
  plan(current, home, target) {
    const [environmentPath, settingsPath] = this.files(home) as [string, string];
    return [
      {
        path: environmentPath,
        text: editEnvFile(current.get(environmentPath), [
          ['GOOGLE_GEMINI_BASE_URL', target.baseUrl],
          ['GEMINI_API_KEY', target.apiKey],
        ]),
        changes: [
          { key: 'GOOGLE_GEMINI_BASE_URL', value: target.baseUrl },
          { key: 'GEMINI_API_KEY', value: target.apiKey, secret: true },
        ],
      },
      {
        path: settingsPath,
        text: editJsonObject(settingsPath, current.get(settingsPath), 'jsonc', [
          { path: ['security', 'auth', 'selectedType'], value: 'gemini-api-key' },
          { path: ['model', 'name'], value: setupModels.geminiCli },
        ]),
        changes: [
          { key: 'security.auth.selectedType', value: 'gemini-api-key' },
          { key: 'model.name', value: setupModels.geminiCli },
        ],
      },
    ];
  },
  notes: () => [
    'Run `gemini` in a folder you have trusted (Gemini CLI asks on first start): it reads ~/.gemini/.env only there.',
    'Elsewhere, export GOOGLE_GEMINI_BASE_URL and GEMINI_API_KEY in your shell instead.',
  ],
};
