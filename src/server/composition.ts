/**
 * The gateway's outbound HTTP, created and closed in this one place: one v1internal transport (one undici Agent)
 * shared by generation and the Cloud Code management calls, and the Google auth agent (token endpoint, userinfo).
 * Nothing else in the gateway opens an agent, so closing these leaves no socket behind.
 */
import type { GatewayConfig } from '../config/gateway-config.ts';
import { createGoogleClients, type GoogleClients } from '../google/clients.ts';
import { createUpstreamClient, transportSettingsFrom, type UpstreamClient } from '../upstream/client.ts';
import { createUpstreamTransport } from '../upstream/transport.ts';

export interface OutboundClients {
  /** Generation calls (streamGenerateContent, generateContent, countTokens). */
  upstream: UpstreamClient;
  /** OAuth, userinfo and the Cloud Code management calls. */
  google: GoogleClients;
  /** Closes every agent and its sockets; the clients are unusable afterwards. */
  close(): Promise<void>;
}

export function createOutboundClients(config: GatewayConfig): OutboundClients {
  const transport = createUpstreamTransport(transportSettingsFrom(config.upstream));
  const upstream = createUpstreamClient(config.upstream, { transport });
  const google = createGoogleClients(config, { transport });
  return {
    upstream,
    google,
    async close() {
      await Promise.all([upstream.close(), google.close()]);
      await transport.close();
    },
  };
}
