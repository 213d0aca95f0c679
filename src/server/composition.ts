/**
 * The gateway's outbound HTTP, created and closed in this one place: the outbound proxies (issue 18: the account's
 * own proxy, the global one, the environment's), one v1internal transport (one undici Agent per account identity)
 * shared by generation and the Cloud Code management calls, and the Google auth agent (token endpoint, userinfo).
 * Nothing else in the gateway opens an agent, so closing these leaves no socket behind.
 */
import type { GatewayConfig } from '../config/gateway-config.ts';
import { createGoogleClients, type GoogleClients } from '../google/clients.ts';
import { createUpstreamClient, transportSettingsFrom, type UpstreamClient } from '../upstream/client.ts';
import { createOutboundProxies, type OutboundProxies } from '../upstream/proxy/outbound-proxies.ts';
import { createUpstreamTransport } from '../upstream/transport.ts';

export interface OutboundClients {
  /** Generation calls (streamGenerateContent, generateContent, countTokens). */
  upstream: UpstreamClient;
  /** OAuth, userinfo and the Cloud Code management calls. */
  google: GoogleClients;
  /** Which proxy each call uses, and the proxy dispatchers. */
  proxies: OutboundProxies;
  /** Closes every agent and its sockets; the clients are unusable afterwards. */
  close(): Promise<void>;
}

/** `current` gives the live configuration, so a changed proxy setting applies to the next call without a restart. */
export function createOutboundClients(
  config: GatewayConfig,
  current: () => GatewayConfig = () => config,
): OutboundClients {
  const proxies = createOutboundProxies(() => current().outbound);
  const transport = createUpstreamTransport(transportSettingsFrom(config.upstream), { proxies });
  const upstream = createUpstreamClient(config.upstream, { transport });
  const google = createGoogleClients(config, { transport, proxies });
  return {
    upstream,
    google,
    proxies,
    async close() {
      await Promise.all([upstream.close(), google.close()]);
      await transport.close();
      await proxies.close();
    },
  };
}
