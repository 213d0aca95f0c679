/**
 * Codex CLI: `~/.codex/config.toml` selects a model provider; agw is added as provider `agw` speaking the OpenAI
 * Responses API (`wire_api = "responses"`, the only wire API current Codex accepts) at `<agw>/v1`. Codex reads the
 * key from the environment variable named by `env_key`; AGW_API_KEY is the variable agw itself reads its key from,
 * so one export serves both. The key is not written into the file.
 */
import { join } from 'node:path';
import { setupModels } from './models.ts';
import { editToml } from './toml-document.ts';
import type { ClientWriter } from './types.ts';

export const codexProviderId = 'agw';
export const codexKeyVariable = 'AGW_API_KEY';

export const codexWriter: ClientWriter = {
  name: 'codex',
  title: 'Codex CLI',
  files: (home) => [join(home, '.codex', 'config.toml')],
  plan(current, home, target) {
    const [path] = this.files(home) as [string];
    const table = `model_providers.${codexProviderId}`;
    const tableKeys: Array<[string, string]> = [
      ['name', 'agw (Antigravity Gateway)'],
      ['base_url', `${target.baseUrl}/v1`],
      ['env_key', codexKeyVariable],
      ['wire_api', 'responses'],
    ];
    const rootKeys: Array<[string, string]> = [
      ['model_provider', codexProviderId],
      ['model', setupModels.claudeSonnet],
    ];
    return [
      {
        path,
        text: editToml(path, current.get(path), { rootKeys, table, tableKeys }),
        changes: [
          ...rootKeys.map(([key, value]) => ({ key, value })),
          ...tableKeys.map(([key, value]) => ({ key: `[${table}] ${key}`, value })),
        ],
      },
    ];
  },
  notes: () => [
    `Codex reads the key from ${codexKeyVariable}: export ${codexKeyVariable}=<agw API key> (proxy.api_key in gui_config.json) in your shell profile, then run \`codex\`.`,
    'Codex speaks the OpenAI Responses API (/v1/responses) to agw.',
  ],
};
