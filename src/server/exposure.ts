/**
 * Serving beyond loopback without authentication hands every account in the pool (and, through the admin API,
 * the ability to read and change the gateway) to whoever can reach the port. agw refuses to start that way unless
 * the user says so explicitly, and then says it again at every start.
 */
import { type GatewayConfig, resolveAuthMode } from '../config/gateway-config.ts';
import type { Binding } from './bind-address.ts';

export interface Exposure {
  /** Start-up must stop. */
  refused: boolean;
  /** What to tell the user (the refusal, or the warning when allowed). */
  message?: string;
}

export function checkExposure(binding: Binding, config: GatewayConfig): Exposure {
  if (binding.loopbackOnly) return { refused: false };
  if (resolveAuthMode(config.auth.mode, false) !== 'off') {
    if (config.auth.apiKey !== '') return { refused: false };
    return {
      refused: false,
      message: `agw is reachable from other machines (${binding.addresses.join(', ')}) and requires an API key, but none is set: every client request will be refused until you run \`agw config set proxy.api_key <key>\``,
    };
  }
  const where = binding.addresses.join(', ');
  if (!config.server.allowUnauthenticatedLan) {
    return {
      refused: true,
      message: `refusing to serve ${where} with authentication off: anyone who can reach this port could use every account and change the gateway. Set proxy.auth_mode to auto, strict or all_except_health (and proxy.api_key), bind 127.0.0.1, or pass --allow-unauthenticated-lan if this network is yours alone`,
    };
  }
  return {
    refused: false,
    message: `WARNING: serving ${where} with authentication OFF (allowed by --allow-unauthenticated-lan / agw.allow_unauthenticated_lan): anyone who can reach this port can use every account and change the gateway`,
  };
}
