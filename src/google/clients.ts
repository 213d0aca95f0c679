/**
 * Builds the Google clients from the resolved configuration, so the CLI, the server and the demo construct them
 * the same way.
 */
import type { GatewayConfig } from '../config/gateway-config.ts';
import { type CodeAssistClient, createCodeAssistClient } from './code-assist.ts';
import { createOAuthClient, type OAuthClient } from './oauth.ts';
import { type CodeAssistSettings, defaultGoogleScopes, type GoogleSettings } from './settings.ts';

export interface GoogleClients {
  settings: GoogleSettings;
  oauth: OAuthClient;
  codeAssist: CodeAssistClient;
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

export function createGoogleClients(config: GatewayConfig): GoogleClients {
  const settings = googleSettingsFrom(config);
  return {
    settings,
    oauth: createOAuthClient(settings),
    codeAssist: createCodeAssistClient(codeAssistSettingsFrom(config)),
  };
}
