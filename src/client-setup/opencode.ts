/**
 * opencode: `~/.config/opencode/opencode.json` (or `opencode.jsonc`, when that is the file the user has) declares
 * providers by AI SDK package. agw is added as provider `agw` through `@ai-sdk/anthropic` (agw's Anthropic
 * Messages endpoint carries tools and thinking for Claude and Gemini models alike) at `<agw>/v1`, with the key and
 * the models it serves; the top-level `model` selects agw's Sonnet.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { editJsonObject } from './json-document.ts';
import { opencodeModels, setupModels } from './models.ts';
import type { ClientWriter } from './types.ts';

export const opencodeProviderId = 'agw';

function configPath(home: string): string {
  const directory = join(home, '.config', 'opencode');
  // opencode reads either name; writing a second file beside the user's .jsonc would leave two configs.
  const jsonc = join(directory, 'opencode.jsonc');
  return existsSync(jsonc) ? jsonc : join(directory, 'opencode.json');
}

export const opencodeWriter: ClientWriter = {
  name: 'opencode',
  title: 'opencode',
  files: (home) => [configPath(home)],
  plan(current, home, target) {
    const [path] = this.files(home) as [string];
    const before = current.get(path);
    const provider = {
      npm: '@ai-sdk/anthropic',
      name: 'agw (Antigravity Gateway)',
      options: { baseURL: `${target.baseUrl}/v1`, apiKey: target.apiKey },
      models: Object.fromEntries(opencodeModels.map((model) => [model.id, { name: model.name }])),
    };
    const model = `${opencodeProviderId}/${setupModels.claudeSonnet}`;
    const edits = [
      ...(before === undefined ? [{ path: ['$schema'], value: 'https://opencode.ai/config.json' }] : []),
      { path: ['provider', opencodeProviderId], value: provider },
      { path: ['model'], value: model },
    ];
    return [
      {
        path,
        text: editJsonObject(path, before, 'jsonc', edits),
        changes: [
          { key: `provider.${opencodeProviderId}.options.baseURL`, value: provider.options.baseURL },
          { key: `provider.${opencodeProviderId}.options.apiKey`, value: target.apiKey, secret: true },
          { key: `provider.${opencodeProviderId}.models`, value: opencodeModels.map((entry) => entry.id).join(', ') },
          { key: 'model', value: model },
        ],
      },
    ];
  },
  notes: () => ['Start opencode as usual; /models lists the agw models.'],
};
