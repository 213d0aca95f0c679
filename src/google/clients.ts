/**
 * Builds the Google clients from the resolved configuration, so the CLI, the server and the demo construct them
 * the same way, and owns their HTTP agents: `close()` closes every agent this call created (never a transport
 * that was passed in — its creator, the gateway's composition root, closes that one).
 */
import type { GatewayConfig } from '../config/gateway-config.ts';
import { transportSettingsFrom } from '../upstream/client.ts';
import { createUpstreamTransport, type UpstreamTransport } from '../upstream/transport.ts';
import { type CodeAssistClient, createCodeAssistClient } from './code-assist.ts';
import { createGoogleAgent } from './http.ts';
import { createOAuthClient, type OAuthClient } from './oauth.ts';
import { type CodeAssistSettings, defaultGoogleScopes, type GoogleSettings } from './settings.ts';

export interface GoogleClients {
  settings: GoogleSettings;
  oauth: OAuthClient;
  codeAssist: CodeAssistClient;
  /** Closes the agents these clients own; call it once, when nothing uses the clients any more. */
  close(): Promise<void>;
}

export interface GoogleClientOptions {
  /** The v1internal transport to share with generation; default: an own one, closed by close(). */
  transport?: UpstreamTransport;
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
  const agent = createGoogleAgent();
  const ownTransport = options.transport ? undefined : createUpstreamTransport(transportSettingsFrom(config.upstream));
  const transport = options.transport ?? ownTransport!;
  return {
    settings,
    oauth: createOAuthClient(settings, { dispatcher: agent }),
    codeAssist: createCodeAssistClient(codeAssistSettingsFrom(config), { transport }),
    async close() {
      await Promise.all([agent.close(), ownTransport?.close()]);
    },
  };
}
