import { useEffect, useRef, useState } from 'react';
import { api, notifyUnauthorized } from './client.ts';
import type { AccountView, RequestLogRow } from './types.ts';

interface EventPayloads {
  account: AccountView;
  request: RequestLogRow;
}

type EventName = keyof EventPayloads;
type Listener<Name extends EventName> = (payload: EventPayloads[Name]) => void;

const listeners: { [Name in EventName]: Set<Listener<Name>> } = { account: new Set(), request: new Set() };
let source: EventSource | null = null;
let connected = false;
const connectionListeners = new Set<(connected: boolean) => void>();

function setConnected(value: boolean): void {
  if (connected === value) return;
  connected = value;
  for (const listener of connectionListeners) listener(value);
}
let retryTimer: ReturnType<typeof setTimeout> | null = null;
/** Seconds between reconnect attempts after the browser gives up on the stream. */
const reconnectDelayMs = 3000;

function dispatch<Name extends EventName>(name: Name, data: string): void {
  let payload: EventPayloads[Name];
  try {
    payload = JSON.parse(data) as EventPayloads[Name];
  } catch {
    return;
  }
  for (const listener of listeners[name]) listener(payload);
}

function open(): void {
  if (source) return;
  const stream = new EventSource('/api/events', { withCredentials: true });
  stream.addEventListener('account', (event) => dispatch('account', (event as MessageEvent<string>).data));
  stream.addEventListener('request', (event) => dispatch('request', (event as MessageEvent<string>).data));
  stream.addEventListener('open', () => setConnected(true));
  stream.addEventListener('error', () => {
    setConnected(false);
    // The browser retries by itself unless the stream was refused (e.g. 401); then ask the session route
    // whether we are still logged in (a 401 there brings the login screen back) and try again later.
    if (stream.readyState !== EventSource.CLOSED) return;
    source = null;
    api
      .session()
      .then((answer) => {
        if (!answer.authenticated) notifyUnauthorized();
      })
      .catch(() => undefined);
    if (retryTimer === null && hasListeners()) {
      retryTimer = setTimeout(() => {
        retryTimer = null;
        if (hasListeners()) open();
      }, reconnectDelayMs);
    }
  });
  source = stream;
}

function hasListeners(): boolean {
  return listeners.account.size + listeners.request.size > 0;
}

function close(): void {
  setConnected(false);
  source?.close();
  source = null;
  if (retryTimer !== null) clearTimeout(retryTimer);
  retryTimer = null;
}

/** Subscribes to one kind of server event for the lifetime of the component; one EventSource is shared. */
export function useServerEvent<Name extends EventName>(name: Name, listener: Listener<Name>): void {
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => {
    const forward: Listener<Name> = (payload) => latest.current(payload);
    const set = listeners[name] as Set<Listener<Name>>;
    set.add(forward);
    open();
    return () => {
      set.delete(forward);
      if (!hasListeners()) close();
    };
  }, [name]);
}

/** Whether the event stream is open right now (the top bar shows it, so the user knows the page is live). */
export function useEventsConnected(): boolean {
  const [value, setValue] = useState(connected);
  useEffect(() => {
    setValue(connected);
    connectionListeners.add(setValue);
    return () => {
      connectionListeners.delete(setValue);
    };
  }, []);
  return value;
}
