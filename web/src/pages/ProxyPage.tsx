import { useCallback, useEffect, useState } from 'react';
import { api, describeError } from '../api/client.ts';
import type { GatewayStatus, Setting } from '../api/types.ts';
import { CodeBlock } from '../components/CodeBlock.tsx';
import { CopyButton } from '../components/CopyButton.tsx';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { formatFraction } from '../format.ts';
import { ClientSetupPanel } from '../proxy/ClientSetupPanel.tsx';
import { MappingEditor } from '../proxy/MappingEditor.tsx';

const authModes: { value: string; title: string }[] = [
  { value: 'auto', title: 'auto — key required only with LAN access' },
  { value: 'off', title: 'off — no key required' },
  { value: 'strict', title: 'strict — key required everywhere' },
  { value: 'all_except_health', title: 'all_except_health — key required except /healthz' },
];

function settingValue(settings: Setting[], key: string): unknown {
  return settings.find((setting) => setting.key === key)?.value;
}

/** The API Proxy page: status, client settings ready to copy or written for you, auth mode, API key, model mapping. */
export function ProxyPage() {
  const [status, setStatus] = useState<GatewayStatus | null>(null);
  const [settings, setSettings] = useState<Setting[] | null>(null);
  const [newKey, setNewKey] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [confirmingKey, setConfirmingKey] = useState(false);

  const reload = useCallback(async () => {
    try {
      const [statusAnswer, configAnswer] = await Promise.all([api.status(), api.config()]);
      setStatus(statusAnswer);
      setSettings(configAnswer.settings);
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  const change = async (changes: Record<string, unknown>, what: string) => {
    setSaved(null);
    try {
      const answer = await api.changeConfig(changes);
      setSettings(answer.settings);
      setSaved(`${what} saved.`);
      setError(null);
      setStatus(await api.status());
    } catch (failure) {
      setError(describeError(failure));
    }
  };

  const regenerate = async () => {
    setConfirmingKey(false);
    try {
      const answer = await api.regenerateApiKey();
      setNewKey(answer.api_key);
      setSettings((await api.config()).settings);
    } catch (failure) {
      setError(describeError(failure));
    }
  };

  const baseUrl = status?.base_url?.replace(/\/+$/, '') ?? window.location.origin;
  const maskedKey = settings ? String(settingValue(settings, 'proxy.api_key') ?? '') : '';
  // Snippets carry the real key only right after it was generated; otherwise a placeholder the user replaces.
  const keyForSnippets = newKey ?? '<your API key>';
  const authMode = settings ? String(settingValue(settings, 'proxy.auth_mode') ?? 'auto') : 'auto';
  const mapping = settings ? settingValue(settings, 'proxy.custom_mapping') : undefined;
  const warmUpOn = settings ? settingValue(settings, 'scheduled_warmup.enabled') === true : false;
  const warmUpFamilies = settings ? settingValue(settings, 'scheduled_warmup.monitored_models') : undefined;

  return (
    <section aria-labelledby="proxy-title" className="stack">
      <h1 id="proxy-title">API Proxy</h1>
      <ErrorNotice message={error} />
      {saved && (
        <p className="notice notice-success" role="status">
          {saved}
        </p>
      )}

      <section className="panel" aria-labelledby="status-title">
        <h2 id="status-title">Status</h2>
        {status ? (
          <dl className="facts">
            <dt>Version</dt>
            <dd>{status.version}</dd>
            <dt>Base URL</dt>
            <dd>{baseUrl}</dd>
            <dt>Authentication</dt>
            <dd>{status.auth_mode}</dd>
            <dt>Requests per minute</dt>
            <dd>{status.requests_per_minute}</dd>
            <dt>Error rate</dt>
            <dd>{formatFraction(status.error_rate)}</dd>
          </dl>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </section>

      <section className="panel" aria-labelledby="urls-title">
        <h2 id="urls-title">Base URLs</h2>
        <dl className="facts">
          <dt>OpenAI</dt>
          <dd>
            <code>{baseUrl}/v1</code> <CopyButton text={`${baseUrl}/v1`} label="OpenAI base URL" />
          </dd>
          <dt>Anthropic</dt>
          <dd>
            <code>{baseUrl}</code> <CopyButton text={baseUrl} label="Anthropic base URL" />
          </dd>
          <dt>Gemini</dt>
          <dd>
            <code>{baseUrl}</code> <CopyButton text={baseUrl} label="Gemini base URL" />
          </dd>
        </dl>
      </section>

      <section className="panel" aria-labelledby="clients-title">
        <h2 id="clients-title">Client settings</h2>
        <CodeBlock
          title="Claude Code"
          code={`export ANTHROPIC_BASE_URL=${baseUrl}\nexport ANTHROPIC_AUTH_TOKEN=${keyForSnippets}`}
        />
        <CodeBlock
          title="OpenAI SDK (Python)"
          code={`from openai import OpenAI\n\nclient = OpenAI(base_url="${baseUrl}/v1", api_key="${keyForSnippets}")`}
        />
        <CodeBlock
          title="Gemini SDK (JavaScript)"
          code={`import { GoogleGenAI } from '@google/genai';\n\nconst ai = new GoogleGenAI({\n  apiKey: '${keyForSnippets}',\n  httpOptions: { baseUrl: '${baseUrl}' },\n});`}
        />
      </section>

      <ClientSetupPanel />

      <section className="panel stack" aria-labelledby="auth-title">
        <h2 id="auth-title">Authentication</h2>
        <label htmlFor="auth-mode">Authentication mode</label>
        <select
          id="auth-mode"
          value={authMode}
          onChange={(event) => void change({ 'proxy.auth_mode': event.target.value }, 'Authentication mode')}
        >
          {authModes.map((mode) => (
            <option key={mode.value} value={mode.value}>
              {mode.title}
            </option>
          ))}
        </select>
        <label htmlFor="api-key">API key</label>
        <div className="row">
          <input id="api-key" readOnly value={maskedKey === '' ? '(not set)' : maskedKey} />
          <button type="button" onClick={() => setConfirmingKey(true)}>
            Regenerate
          </button>
        </div>
        {confirmingKey && (
          <Dialog title="Regenerate the API key" onClose={() => setConfirmingKey(false)}>
            <p>Clients still using the old key stop working at once.</p>
            <div className="row dialog-actions">
              <button type="button" className="secondary" data-autofocus onClick={() => setConfirmingKey(false)}>
                Cancel
              </button>
              <button type="button" onClick={regenerate}>
                Generate new key
              </button>
            </div>
          </Dialog>
        )}
        {newKey && (
          <div className="notice notice-success stack" role="status">
            <p>New API key — shown only now, copy it:</p>
            <div className="row">
              <code className="secret">{newKey}</code>
              <CopyButton text={newKey} label="new API key" />
            </div>
          </div>
        )}
      </section>

      <section className="panel stack" aria-labelledby="warm-up-title">
        <h2 id="warm-up-title">Warm-up</h2>
        <label className="inline" htmlFor="warm-up-enabled">
          <input
            id="warm-up-enabled"
            type="checkbox"
            checked={warmUpOn}
            // Until the settings arrive the box cannot show the saved state, so it cannot be changed either.
            disabled={!settings}
            onChange={(event) => void change({ 'scheduled_warmup.enabled': event.target.checked }, 'Warm-up')}
          />
          Send each account a tiny call per model family when its quota window resets, so the next 5-hour window starts
          early
        </label>
        {Array.isArray(warmUpFamilies) && <p>Families: {warmUpFamilies.map(String).join(', ')}</p>}
      </section>

      <section className="panel" aria-labelledby="mapping-title">
        <h2 id="mapping-title">Model mapping</h2>
        <MappingEditor mapping={mapping} onSave={(next) => change({ 'proxy.custom_mapping': next }, 'Model mapping')} />
      </section>
    </section>
  );
}
