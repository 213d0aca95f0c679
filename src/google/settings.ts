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

/**
 * Defaults the config layer should use. Numbers carry their unit in the name.
 * - auth calls: 30 s — a refresh usually answers in well under a second; 30 s leaves room for a slow network
 *   while staying far below the reference's 60 s, which outlived the request that needed the token.
 * - management calls: 15 s, as the reference (loadCodeAssist and quota are small JSON calls).
 * - onboarding: 5 polls 2 s apart — Google's onboarding operation normally completes within a few seconds.
 */
export const googleDefaults = {
  tokenUrl: 'https://oauth2.googleapis.com/token',
  authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  userinfoUrl: 'https://www.googleapis.com/oauth2/v2/userinfo',
  oauthClientKey: 'antigravity_enterprise',
  authTimeoutMs: 30_000,
  codeAssistTimeoutMs: 15_000,
  onboardPollAttempts: 5,
  onboardPollIntervalMs: 2_000,
  codeAssistEndpoints: [
    'https://daily-cloudcode-pa.sandbox.googleapis.com/v1internal',
    'https://daily-cloudcode-pa.googleapis.com/v1internal',
    'https://cloudcode-pa.googleapis.com/v1internal',
  ],
} as const;
