import { randomUUID } from 'node:crypto';
import { scrubText, stripQuery } from './redaction.ts';

/** `warm-up`: a call agw made itself to start an account's quota window (src/server/warm-up-scheduler.ts). */
export type RequestProtocol = 'openai' | 'anthropic' | 'gemini' | 'admin' | 'warm-up';

/**
 * One request as the request log stores it: facts about routing, timing and usage only. It has no bodies, no
 * emails and no secrets: the account is named by its id, and the route is a path without its query string.
 */
export interface RequestLogRow {
  id: string;
  /** When the request arrived, ms since the Unix epoch. */
  time: number;
  protocol: RequestProtocol;
  /** Path without query, e.g. `/v1/chat/completions`. */
  route: string;
  method: string;
  /** The model the client asked for. */
  clientModel: string | null;
  /** The upstream model it was mapped to. */
  mappedModel: string | null;
  /** The account that served the last attempt (its id, never its email). */
  accountId: string | null;
  /** HTTP status sent to the client (200 for a stream that started, even if it failed later). */
  status: number;
  /** Arrival to last byte, ms. */
  totalMs: number;
  /** Time spent waiting on Google over all attempts, ms. */
  upstreamMs: number | null;
  /** Upstream attempts made by the rotation loop (0 when none was made). */
  attempts: number;
  inputTokens: number | null;
  outputTokens: number | null;
  cachedTokens: number | null;
  /** Catalogue code of the failure (e.g. `AGW_UPSTREAM_STREAM_BROKEN`), null on success. */
  errorCode: string | null;
  stream: boolean;
  /** The user key that made the request (its id, never the key), null for the gateway's own API key or none. */
  keyId: string | null;
  /** That key's name when the request was made. */
  keyName: string | null;
}

/** What callers hand to `record`: the id and the time are filled in when missing, absent numbers become null. */
export type RequestLogEntry = Pick<RequestLogRow, 'protocol' | 'route' | 'method' | 'status' | 'totalMs'> &
  Partial<Omit<RequestLogRow, 'protocol' | 'route' | 'method' | 'status' | 'totalMs'>>;

const maxTextLength = 200;
const protocols: ReadonlySet<string> = new Set(['openai', 'anthropic', 'gemini', 'admin', 'warm-up']);

function text(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return scrubText(value).slice(0, maxTextLength);
}

function count(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(0, Math.round(value)) : null;
}

/**
 * Makes an entry safe to store: query strings dropped, free text scrubbed of secrets and cut to 200 characters,
 * an account "id" that looks like an email dropped (the log must not hold emails), numbers rounded.
 */
export function toStoredRow(entry: RequestLogEntry, now: number): RequestLogRow {
  const accountId = text(entry.accountId);
  return {
    id: text(entry.id) ?? randomUUID(),
    time: count(entry.time) ?? now,
    protocol: protocols.has(entry.protocol) ? entry.protocol : 'admin',
    route: text(stripQuery(entry.route)) ?? '',
    method: (text(entry.method) ?? '').toUpperCase(),
    clientModel: text(entry.clientModel),
    mappedModel: text(entry.mappedModel),
    accountId: accountId?.includes('@') ? null : accountId,
    status: count(entry.status) ?? 0,
    totalMs: count(entry.totalMs) ?? 0,
    upstreamMs: count(entry.upstreamMs),
    attempts: count(entry.attempts) ?? 0,
    inputTokens: count(entry.inputTokens),
    outputTokens: count(entry.outputTokens),
    cachedTokens: count(entry.cachedTokens),
    errorCode: text(entry.errorCode),
    stream: entry.stream === true,
    keyId: text(entry.keyId),
    keyName: text(entry.keyName),
  };
}
