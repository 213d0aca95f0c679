import { useState } from 'react';
import { api, describeError } from '../api/client.ts';
import type { ClientSetupReport } from '../api/types.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';

const clients: { value: string; title: string }[] = [
  { value: 'claude-code', title: 'Claude Code' },
  { value: 'codex', title: 'Codex CLI' },
  { value: 'gemini-cli', title: 'Gemini CLI' },
  { value: 'opencode', title: 'opencode' },
];

const pastTense = {
  create: 'created',
  update: 'updated',
  unchanged: 'unchanged',
  restore: 'restored',
  remove: 'removed',
};
const futureTense = {
  create: 'would create',
  update: 'would update',
  unchanged: 'unchanged',
  restore: 'would restore',
  remove: 'would remove',
};

/**
 * Writes a coding client's settings so it uses agw (POST /api/setup/:client, like `agw setup CLIENT`): preview
 * first, then write (each changed file is backed up beside it), or undo the latest write.
 */
export function ClientSetupPanel() {
  const [client, setClient] = useState('claude-code');
  const [report, setReport] = useState<ClientSetupReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (options: { dry_run?: boolean; undo?: boolean }) => {
    setBusy(true);
    setError(null);
    try {
      setReport(await api.setupClient(client, options));
    } catch (failure) {
      setReport(null);
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel stack" aria-labelledby="client-setup-title">
      <h2 id="client-setup-title">Set up a coding client</h2>
      <p className="muted">
        Writes the client's own settings file on the machine agw runs on (in the home directory of the user agw runs
        as), touching only agw's keys. Each changed file is backed up beside it first.
      </p>
      <label htmlFor="setup-client">Client</label>
      <div className="row">
        <select
          id="setup-client"
          value={client}
          onChange={(event) => {
            setClient(event.target.value);
            setReport(null);
          }}
        >
          {clients.map((entry) => (
            <option key={entry.value} value={entry.value}>
              {entry.title}
            </option>
          ))}
        </select>
        <button type="button" className="secondary" disabled={busy} onClick={() => void run({ dry_run: true })}>
          Preview
        </button>
        <button type="button" disabled={busy} onClick={() => void run({})}>
          Write settings
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={() => void run({ undo: true })}>
          Undo
        </button>
      </div>
      <ErrorNotice message={error} />
      {report && (
        <div className="notice notice-success stack" role="status" aria-label="Client setup result">
          <p>
            {report.title}
            {report.dry_run ? ' (preview, nothing written)' : ''}:
          </p>
          <ul>
            {report.files.map((file) => (
              <li key={file.path}>
                {(report.dry_run ? futureTense : pastTense)[file.action]} <code>{file.path}</code>
                {file.backup && !report.undo ? (
                  <>
                    {' '}
                    (backup <code>{file.backup}</code>)
                  </>
                ) : null}
                {file.changes.length > 0 && (
                  <ul>
                    {file.changes.map((change) => (
                      <li key={change.key}>
                        <code>{change.key}</code> = {change.value ?? '(removed)'}
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ul>
          {report.notes.map((note) => (
            <p key={note}>{note}</p>
          ))}
        </div>
      )}
    </section>
  );
}
