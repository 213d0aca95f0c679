import { useEffect, useRef, useState } from 'react';
import { api, describeError } from '../api/client.ts';
import type { OAuthStart } from '../api/types.ts';
import { CopyButton } from '../components/CopyButton.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';

/** Milliseconds between status polls, and the most polls before giving up (about ten minutes). */
const pollIntervalMs = 2000;
const maximumPolls = 300;

type Progress = 'idle' | 'starting' | 'waiting' | 'done' | 'failed' | 'timed-out';

/** The OAuth flow: get the Google URL from the gateway, let the user open it, poll until the callback lands. */
export function GoogleSignInTab({ onChanged }: { onChanged: () => void }) {
  const [flow, setFlow] = useState<OAuthStart | null>(null);
  const [progress, setProgress] = useState<Progress>('idle');
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const changed = useRef(onChanged);
  changed.current = onChanged;

  useEffect(() => {
    if (!flow || progress !== 'waiting') return undefined;
    let polls = 0;
    let stopped = false;
    const timer = setInterval(async () => {
      polls += 1;
      if (polls > maximumPolls) {
        clearInterval(timer);
        setProgress('timed-out');
        return;
      }
      try {
        const status = await api.oauthStatus(flow.state);
        if (stopped) return;
        if (status.status === 'done') {
          clearInterval(timer);
          setProgress('done');
          setMessage(status.account ? `Signed in: ${status.account.email}` : 'Signed in.');
          changed.current();
        } else if (status.status === 'failed') {
          clearInterval(timer);
          setProgress('failed');
          setError(status.error ?? 'The sign-in failed.');
        }
      } catch (failure) {
        clearInterval(timer);
        setProgress('failed');
        setError(describeError(failure));
      }
    }, pollIntervalMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [flow, progress]);

  const start = async () => {
    setProgress('starting');
    setError(null);
    setMessage(null);
    try {
      setFlow(await api.oauthStart());
      setProgress('waiting');
    } catch (failure) {
      setProgress('failed');
      setError(describeError(failure));
    }
  };

  return (
    <div className="stack">
      <p>Sign in with Google in a browser; Google sends you back to this gateway, which adds the account.</p>
      <div className="row">
        <button type="button" onClick={start} disabled={progress === 'starting' || progress === 'waiting'}>
          {flow ? 'Start again' : 'Start sign-in'}
        </button>
      </div>
      {flow && (
        <div className="stack">
          <label htmlFor="oauth-url">Sign-in link</label>
          <div className="row">
            <input id="oauth-url" readOnly value={flow.url} onFocus={(event) => event.target.select()} />
            <CopyButton text={flow.url} label="sign-in link" />
            <a className="button" href={flow.url} target="_blank" rel="noreferrer">
              Open sign-in link
            </a>
          </div>
        </div>
      )}
      {progress === 'waiting' && (
        <p role="status" className="muted">
          Waiting for Google to send you back…
        </p>
      )}
      {progress === 'timed-out' && <p role="status">Stopped waiting; start again when you are ready.</p>}
      {message && (
        <p className="notice notice-success" role="status">
          {message}
        </p>
      )}
      <ErrorNotice message={error} />
    </div>
  );
}
