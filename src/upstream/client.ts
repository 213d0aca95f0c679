/**
 * The generation client of v1internal (upstream-and-protocols.md §2.1-2.4, §15): the §2.3 headers and the
 * generation endpoint policy (fall back on network errors, 404, 408 and 5xx) over the one upstream transport
 * (transport.ts), which it shares with the Cloud Code management calls.
 */
import type { Dispatcher } from 'undici';
import { GatewayError } from '../errors/catalogue.ts';
import { serializePayload } from './json-payload.ts';
import type { UpstreamSettings } from './settings.ts';
import {
  createUpstreamTransport,
  type EndpointPolicy,
  type UpstreamResponse,
  type UpstreamTransport,
} from './transport.ts';

export type { UpstreamBody, UpstreamResponse } from './transport.ts';

export interface UpstreamCall {
  /** `generateContent`, `streamGenerateContent`, `countTokens`, … — appended as `{base}:{method}`. */
  method: string;
  /** Query string without `?`, e.g. `alt=sse`. */
  query?: string;
  accessToken: string;
  body: unknown;
  /** Sent as `x-goog-user-project` when set (and not a placeholder). */
  projectId?: string;
  /** The upstream model; a Claude model adds the `anthropic-beta` header. */
  model?: string;
  /** Overrides the default `anthropic-beta` value (the Gemini-native path asks for more betas). */
  anthropicBeta?: string;
  /** Aborting cancels the request, also mid-stream, and closes the upstream connection. */
  signal?: AbortSignal;
  /** The account's own outbound proxy URL; absent: the global/environment proxy, if any. */
  proxy?: string | undefined;
}

export interface UpstreamClient {
  call(call: UpstreamCall): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

export interface UpstreamClientDependencies {
  /** The shared transport (the composition root's); not closed by close(). Default: an own one. */
  transport?: UpstreamTransport;
  /** For an own transport: replaces its Agent (tests, a proxy dispatcher). Not closed by close(). */
  dispatcher?: Dispatcher;
}

const defaultAnthropicBeta = 'claude-code-20250219';
/** Placeholder project ids some clients send; Google rejects them as a billing project. */
const placeholderProjects = new Set(['test-project', 'project-id']);

/**
 * A 429 that says this server has no capacity for the model (MODEL_CAPACITY_EXHAUSTED, "No capacity available"):
 * capacity is per server, so the next base URL may serve the same account at once (issue 16; peers fall back too).
 */
const capacityWords = /MODEL_CAPACITY_EXHAUSTED|no capacity available/i;

/**
 * Generation moves on after a network error, 404, 408, 5xx or a 429 "no capacity"; any other 429 (quota, rate
 * limit) or 4xx is the account's answer and goes back to the pool as it is.
 */
export function generationPolicy(endpoints: readonly string[]): EndpointPolicy {
  return {
    endpoints,
    fallbackOn: (status) => status === 404 || status === 408 || status >= 500,
    inspectBodyOn: (status) => status === 429,
    fallbackOnBody: (_status, bodyText) => capacityWords.test(bodyText),
  };
}

/** The headers of §2.3 for one call. */
export function buildUpstreamHeaders(settings: UpstreamSettings, call: UpstreamCall): Record<string, string> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${call.accessToken}`,
    'content-type': 'application/json',
    'user-agent': settings.userAgent,
    'x-client-name': 'antigravity',
    'x-client-version': settings.clientVersion,
  };
  const project = call.projectId?.trim();
  if (project && !placeholderProjects.has(project)) headers['x-goog-user-project'] = project;
  if (call.anthropicBeta !== undefined) headers['anthropic-beta'] = call.anthropicBeta;
  else if (call.model?.toLowerCase().includes('claude')) headers['anthropic-beta'] = defaultAnthropicBeta;
  return headers;
}

/** The transport settings of the upstream configuration. */
export function transportSettingsFrom(settings: UpstreamSettings) {
  return {
    connectTimeoutMs: settings.connectTimeoutMs,
    keepAliveTimeoutMs: settings.keepAliveTimeoutMs,
    connections: settings.connections,
  };
}

/** Creates the client over the given transport (or an own one, closed by close()). */
export function createUpstreamClient(
  settings: UpstreamSettings,
  dependencies: UpstreamClientDependencies = {},
): UpstreamClient {
  const policy = generationPolicy(settings.endpoints);
  if (policy.endpoints.length === 0) {
    throw new GatewayError('AGW_CONFIG_INVALID', 'At least one upstream endpoint is required');
  }
  const ownTransport = dependencies.transport
    ? undefined
    : createUpstreamTransport(
        transportSettingsFrom(settings),
        dependencies.dispatcher ? { dispatcher: dependencies.dispatcher } : {},
      );
  const transport = dependencies.transport ?? ownTransport!;
  const timeouts = {
    headersMs: settings.headersTimeoutMs,
    chunkGapMs: settings.chunkGapTimeoutMs,
    totalMs: settings.totalTimeoutMs,
  };
  return {
    call: (call) =>
      transport.send({
        method: call.method,
        query: call.query,
        headers: buildUpstreamHeaders(settings, call),
        body: serializePayload(call.body),
        signal: call.signal,
        proxy: call.proxy,
        policy,
        timeouts,
      }),
    close: async () => {
      if (ownTransport) await ownTransport.close();
    },
  };
}
