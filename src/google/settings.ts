/**
 * Settings objects for the Google auth and Cloud Code management calls. The config layer builds them (it is the
 * only layer that reads the environment); everything here receives them as plain values, so tests and the demo
 * point every URL at loopback fakes.
 */

export interface GoogleSettings {
  /** OAuth token endpoint (code exchange and refresh), e.g. `https://oauth2.googleapis.com/token`. */
  tokenUrl: string;
  /** OAuth authorization endpoint, e.g. `https://accounts.google.com/o/oauth2/v2/auth`. */
  authUrl: string;
  /** Userinfo endpoint, e.g. `https://www.googleapis.com/oauth2/v2/userinfo`. */
  userinfoUrl: string;
  clientId: string;
  clientSecret: string;
  /** Recorded in TokenData.oauth_client_key so the account remembers which client issued it. */
  oauthClientKey: string;
  /** Sent on token/userinfo calls, e.g. `vscode/1.X.X (Antigravity/4.3.0)`. */
  userAgent: string;
  /** Whole-call budget of one auth call, milliseconds. */
  timeoutMs: number;
  /** OAuth scopes requested at sign-in. */
  scopes: readonly string[];
}

export interface CodeAssistSettings {
  /** `v1internal` base URLs, tried in order (e.g. `https://cloudcode-pa.googleapis.com/v1internal`). */
  endpoints: readonly string[];
  /** Sent on loadCodeAssist / onboardUser / quota calls. */
  userAgent: string;
  /** Whole-call budget of one management call, milliseconds. */
  timeoutMs: number;
  /** How many extra onboardUser calls are made while Google reports the onboarding operation as not done. */
  onboardPollAttempts?: number;
  /** Pause between those calls, milliseconds. */
  onboardPollIntervalMs?: number;
}

/** The scopes the reference system asks for (accounts-tokens-pool.md §4.2). */
export const defaultGoogleScopes: readonly string[] = [
  'openid',
  'https://www.googleapis.com/auth/cloud-platform',
  'https://www.googleapis.com/auth/userinfo.email',
  'https://www.googleapis.com/auth/userinfo.profile',
  'https://www.googleapis.com/auth/cclog',
  'https://www.googleapis.com/auth/experimentsandconfigs',
];

/** Onboarding polls: Google's onboarding operation normally completes within a few seconds. */
export const googleDefaults = {
  onboardPollAttempts: 5,
  onboardPollIntervalMs: 2_000,
} as const;
