/**
 * The environment variables that point agw at a fake Google (every Google URL and the OAuth client it accepts).
 * One builder for `agw demo`, the test harness, CLI tests, benchmarks and the reliability suite.
 */
import type { FakeGoogleUrls } from './server.ts';

/** What the builder needs: a running fake (createFakeGoogle) or the JSON line `src/fake-google/main.ts` prints. */
export interface FakeGoogleAddress {
  readonly urls: Pick<FakeGoogleUrls, 'v1internal' | 'tokenUrl' | 'authUrl' | 'userinfoUrl'>;
  readonly client: { readonly clientId: string; readonly clientSecret: string };
}

export function fakeEnvironment(fake: FakeGoogleAddress): Record<string, string> {
  return {
    AGW_UPSTREAM_ENDPOINTS: fake.urls.v1internal,
    AGW_OAUTH_TOKEN_URL: fake.urls.tokenUrl,
    AGW_OAUTH_AUTH_URL: fake.urls.authUrl,
    AGW_USERINFO_URL: fake.urls.userinfoUrl,
    AGW_OAUTH_CLIENT_ID: fake.client.clientId,
    AGW_OAUTH_CLIENT_SECRET: fake.client.clientSecret,
  };
}
