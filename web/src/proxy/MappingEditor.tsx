import { useEffect, useState } from 'react';

interface MappingRow {
  key: number;
  pattern: string;
  target: string;
}

interface MappingEditorProps {
  mapping: unknown;
  onSave: (mapping: Record<string, string>) => Promise<void>;
}

let nextKey = 1;

function rowsOf(mapping: unknown): MappingRow[] {
  if (!mapping || typeof mapping !== 'object') return [];
  return Object.entries(mapping as Record<string, unknown>).map(([pattern, target]) => ({
    key: nextKey++,
    pattern,
    target: String(target),
  }));
}

/** Edits proxy.custom_mapping: one row per client model name (or * pattern) → upstream model. */
export function MappingEditor({ mapping, onSave }: MappingEditorProps) {
  const [rows, setRows] = useState<MappingRow[]>([]);
  const [busy, setBusy] = useState(false);

  // Reset the rows only when the saved mapping really changed, not on every settings reload (which would
  // throw away unsaved edits when, say, the auth mode is changed).
  const savedText = JSON.stringify(mapping ?? {});
  useEffect(() => {
    setRows(rowsOf(JSON.parse(savedText)));
  }, [savedText]);

  const update = (key: number, field: 'pattern' | 'target', value: string) =>
    setRows((current) => current.map((row) => (row.key === key ? { ...row, [field]: value } : row)));

  const save = async () => {
    setBusy(true);
    const next: Record<string, string> = {};
    for (const row of rows) if (row.pattern.trim() !== '') next[row.pattern.trim()] = row.target.trim();
    try {
      await onSave(next);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="stack">
      <p className="muted">Exact model names or * wildcards, mapped to the upstream model that serves them.</p>
      {rows.length === 0 && <p className="muted">No custom mappings.</p>}
      <ol className="mapping-rows">
        {rows.map((row, index) => (
          <li key={row.key} className="row">
            <label className="visually-hidden" htmlFor={`mapping-pattern-${row.key}`}>
              Client model {index + 1}
            </label>
            <input
              id={`mapping-pattern-${row.key}`}
              value={row.pattern}
              placeholder="claude-opus-*"
              onChange={(event) => update(row.key, 'pattern', event.target.value)}
            />
            <span aria-hidden="true">→</span>
            <label className="visually-hidden" htmlFor={`mapping-target-${row.key}`}>
              Upstream model {index + 1}
            </label>
            <input
              id={`mapping-target-${row.key}`}
              value={row.target}
              placeholder="claude-sonnet-4-6"
              onChange={(event) => update(row.key, 'target', event.target.value)}
            />
            <button
              type="button"
              className="secondary"
              aria-label={`Remove mapping ${index + 1}`}
              onClick={() => setRows((current) => current.filter((item) => item.key !== row.key))}
            >
              Remove
            </button>
          </li>
        ))}
      </ol>
      <div className="row">
        <button
          type="button"
          className="secondary"
          onClick={() => setRows((current) => [...current, { key: nextKey++, pattern: '', target: '' }])}
        >
          Add mapping
        </button>
        <button type="button" onClick={save} disabled={busy}>
          Save mapping
        </button>
      </div>
    </div>
  );
}
