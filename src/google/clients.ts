/**
 * Builds the Google clients from the resolved configuration, so the CLI, the server and the demo construct them
 * the same way, and owns their HTTP agents: `close()` closes every agent this call created (never a transport
 * or outbound proxies that were passed in — their creator, the gateway's composition root, closes those).
 */
import type { GatewayConfig } from '../config/gateway-config.ts';
import { transportSettingsFrom } from '../upstream/client.ts';
import { createOutboundProxies, type OutboundProxies } from '../upstream/proxy/outbound-proxies.ts';
import { createUpstreamTransport, type UpstreamTransport } from '../upstream/transport.ts';
import { type CodeAssistClient, createCodeAssistClient } from './code-assist.ts';
import { createGoogleAgent } from './http.ts';
import { createOAuthClient, type OAuthClient } from './oauth.ts';
import { type CodeAssistSettings, defaultGoogleScopes, type GoogleSettings } from './settings.ts';

/** The clients of one account: every call goes through the account's own proxy when it has one (issue 18). */
export interface AccountGoogleClients {
  oauth: OAuthClient;
  codeAssist: CodeAssistClient;
}

export interface GoogleClients extends AccountGoogleClients {
  settings: GoogleSettings;
  /**
   * The clients for an account with this `proxy_url` (null/undefined: the global/environment proxy, if any).
   * Cheap: the agents are shared; only the choice of proxy differs.
   */
  forProxy(accountProxy: string | null | undefined): AccountGoogleClients;
  /** Closes the agents these clients own; call it once, when nothing uses the clients any more. */
  close(): Promise<void>;
}

export interface GoogleClientOptions {
  /** The v1internal transport to share with generation; default: an own one, closed by close(). */
  transport?: UpstreamTransport;
  /** The outbound proxies to share; default: own ones from `config.outbound`, closed by close(). */
  proxies?: OutboundProxies;
}

export function googleSettingsFrom(config: GatewayConfig): GoogleSettings {
  return {
    tokenUrl: config.google.tokenUrl,
    authUrl: config.google.authUrl,
    userinfoUrl: config.google.userinfoUrl,
    clientId: config.google.clientId,
    clientSecret: config.google.clientSecret,
    oauthClientKey: config.google.oauthClientKey,
    userAgent: config.google.userAgent,
    timeoutMs: config.google.timeoutMs,
    scopes: defaultGoogleScopes,
  };
}

export function codeAssistSettingsFrom(config: GatewayConfig): CodeAssistSettings {
  return {
    endpoints: config.upstream.endpoints,
    userAgent: config.google.userAgent,
    timeoutMs: config.google.codeAssistTimeoutMs,
  };
}

export function createGoogleClients(config: GatewayConfig, options: GoogleClientOptions = {}): GoogleClients {
  const settings = googleSettingsFrom(config);
  const codeAssistSettings = codeAssistSettingsFrom(config);
  const agent = createGoogleAgent();
  const ownProxies = options.proxies ? undefined : createOutboundProxies(() => config.outbound);
  const proxies = options.proxies ?? ownProxies!;
  const ownTransport = options.transport
    ? undefined
    : createUpstreamTransport(transportSettingsFrom(config.upstream), { proxies });
  const transport = options.transport ?? ownTransport!;
  const forProxy = (accountProxy: string | null | undefined): AccountGoogleClients => ({
    oauth: createOAuthClient(settings, { dispatcher: agent, proxies, accountProxy }),
    codeAssist: createCodeAssistClient(codeAssistSettings, { transport, accountProxy }),
  });
  return {
    settings,
    ...forProxy(undefined),
    forProxy,
    async close() {
      await Promise.all([agent.close(), ownTransport?.close()]);
      await ownProxies?.close();
    },
  };
}
