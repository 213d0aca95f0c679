import { useCallback, useEffect, useState } from 'react';
import { api, describeError } from '../api/client.ts';
import { useServerEvent } from '../api/events.ts';
import type { LogFilter, RequestLogRow } from '../api/types.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { formatTime } from '../format.ts';

const pageSize = 50;
/** Rows kept on screen while tailing, so a long tail does not grow the page without bound. */
const tailLimit = 500;

function matches(row: RequestLogRow, filter: LogFilter): boolean {
  if (filter.errorsOnly && row.status < 400 && !row.error) return false;
  if (filter.protocol && row.protocol !== filter.protocol) return false;
  if (filter.model && !`${row.model ?? ''} ${row.mapped_model ?? ''}`.includes(filter.model)) return false;
  return true;
}

/** The request log with filters and paging; live tail prepends rows from /api/events. */
export function LogsPage() {
  const [filter, setFilter] = useState<LogFilter>({
    errorsOnly: false,
    protocol: '',
    model: '',
    limit: pageSize,
    offset: 0,
  });
  const [rows, setRows] = useState<RequestLogRow[]>([]);
  const [total, setTotal] = useState(0);
  const [tail, setTail] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(async (current: LogFilter) => {
    try {
      const answer = await api.logs(current);
      setRows(answer.rows);
      setTotal(answer.total);
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    }
  }, []);

  useEffect(() => {
    void reload(filter);
  }, [filter, reload]);

  useServerEvent('request', (row) => {
    if (!tail || filter.offset !== 0 || !matches(row, filter)) return;
    setRows((current) => [row, ...current.filter((item) => item.id !== row.id)].slice(0, tailLimit));
    setTotal((current) => current + 1);
  });

  const change = (patch: Partial<LogFilter>) => setFilter((current) => ({ ...current, offset: 0, ...patch }));
  const lastRow = Math.min(filter.offset + rows.length, total);

  return (
    <section aria-labelledby="logs-title" className="stack">
      <h1 id="logs-title">Logs</h1>
      <form className="toolbar" onSubmit={(event) => event.preventDefault()}>
        <label className="inline">
          <input
            type="checkbox"
            checked={filter.errorsOnly}
            onChange={(event) => change({ errorsOnly: event.target.checked })}
          />
          Errors only
        </label>
        <label className="inline" htmlFor="log-protocol">
          Protocol
        </label>
        <select
          id="log-protocol"
          value={filter.protocol}
          onChange={(event) => change({ protocol: event.target.value })}
        >
          <option value="">Any</option>
          <option value="openai">OpenAI</option>
          <option value="anthropic">Anthropic</option>
          <option value="gemini">Gemini</option>
          <option value="warm-up">Warm-up</option>
        </select>
        <label className="inline" htmlFor="log-model">
          Model
        </label>
        <input
          id="log-model"
          type="search"
          value={filter.model}
          placeholder="e.g. claude"
          onChange={(event) => change({ model: event.target.value })}
        />
        <label className="inline">
          <input type="checkbox" checked={tail} onChange={(event) => setTail(event.target.checked)} />
          Live tail
        </label>
        <button type="button" className="secondary" onClick={() => void reload(filter)}>
          Refresh
        </button>
      </form>
      <ErrorNotice message={error} />
      <div className="table-wrap">
        <table className="logs">
          <caption className="visually-hidden">Request log</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Status</th>
              <th scope="col">Protocol</th>
              <th scope="col">Model</th>
              <th scope="col">Upstream model</th>
              <th scope="col">Account</th>
              <th scope="col">Duration</th>
              <th scope="col">Tokens in/out</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td colSpan={9} className="muted">
                  No requests logged.
                </td>
              </tr>
            )}
            {rows.map((row) => (
              <tr key={row.id} className={row.status >= 400 || row.error ? 'log-error' : ''}>
                <td>{formatTime(row.timestamp)}</td>
                <td>
                  {row.status}
                  {row.status >= 400 ? ' (error)' : ''}
                </td>
                <td>{row.protocol ?? '—'}</td>
                <td>{row.model ?? '—'}</td>
                <td>{row.mapped_model ?? '—'}</td>
                <td>{row.account_email ?? row.account_id ?? '—'}</td>
                <td>{row.duration === undefined ? '—' : `${row.duration} ms`}</td>
                <td>
                  {row.input_tokens ?? '—'} / {row.output_tokens ?? '—'}
                </td>
                <td className="log-message">{row.error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav className="row pager" aria-label="Log pages">
        <button
          type="button"
          className="secondary"
          disabled={filter.offset === 0}
          onClick={() => setFilter((current) => ({ ...current, offset: Math.max(0, current.offset - pageSize) }))}
        >
          Newer
        </button>
        <span>
          {total === 0 ? 0 : filter.offset + 1}–{lastRow} of {total}
        </span>
        <button
          type="button"
          className="secondary"
          disabled={filter.offset + pageSize >= total}
          onClick={() => setFilter((current) => ({ ...current, offset: current.offset + pageSize }))}
        >
          Older
        </button>
      </nav>
    </section>
  );
}
