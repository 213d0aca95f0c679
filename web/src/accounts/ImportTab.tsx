import { type FormEvent, useState } from 'react';
import { api, describeError } from '../api/client.ts';
import type { ImportResult } from '../api/types.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';

/** Batch import: a JSON array of tokens or objects, or any text containing 1//… tokens; one result per entry. */
export function ImportTab({ onChanged }: { onChanged: () => void }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [results, setResults] = useState<ImportResult[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setResults(null);
    try {
      const answer = await api.importAccounts(text);
      setResults(answer.results);
      onChanged();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} className="stack">
      <label htmlFor="import-text">Tokens to import</label>
      <textarea
        id="import-text"
        rows={6}
        value={text}
        spellCheck={false}
        placeholder={'["1//0g…", {"refresh_token": "1//0h…"}] or one token per line'}
        onChange={(event) => setText(event.target.value)}
        required
      />
      <div className="row">
        <button type="submit" disabled={busy || text.trim() === ''}>
          {busy ? 'Importing…' : 'Import'}
        </button>
      </div>
      {results && (
        <ol className="import-results" aria-label="Import results">
          {results.length === 0 && <li>No tokens found in the text.</li>}
          {results.map((result, index) =>
            'error' in result ? (
              // biome-ignore lint/suspicious/noArrayIndexKey: results have no identity besides their position
              <li key={index} className="import-error">
                Line {index + 1}: error — {result.error}
              </li>
            ) : (
              // biome-ignore lint/suspicious/noArrayIndexKey: results have no identity besides their position
              <li key={index} className="import-ok">
                Line {index + 1}: {result.outcome} — {result.email}
              </li>
            ),
          )}
        </ol>
      )}
      <ErrorNotice message={error} />
    </form>
  );
}
