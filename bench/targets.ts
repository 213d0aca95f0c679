/**
 * The two ends every latency scenario compares: the fake Google called directly, as the gateway calls it (its own
 * bearer, its own project, the same envelope), and the same question asked through agw with the bench API key.
 */
import type { Target } from './fine-latency.ts';
import { type FakeGoogleInfo, fakeAccessToken } from './processes.ts';

export interface BenchTargets {
  /** The bearer and project the direct target uses (a stand-in gateway calls the fake with them too). */
  accessToken: string;
  projectId: string;
  /** `method` is the v1internal method with its query, e.g. `streamGenerateContent?alt=sse`. */
  direct(method: string, model: string): Target;
  agw(path: string, body: unknown): Target;
}

export async function benchTargets(fake: FakeGoogleInfo, gatewayUrl: string): Promise<BenchTargets> {
  const accessToken = await fakeAccessToken({ ...fake, refreshToken: fake.accounts[0]!.refreshToken });
  const projectId = (
    (await (
      await fetch(`${fake.v1internal}:loadCodeAssist`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: '{"metadata":{"ideType":"ANTIGRAVITY"}}',
      })
    ).json()) as { cloudaicompanionProject: string }
  ).cloudaicompanionProject;
  const envelope = (model: string) =>
    JSON.stringify({
      project: projectId,
      requestId: 'agent/bench/1',
      model,
      userAgent: 'antigravity',
      requestType: 'agent',
      request: { contents: [{ role: 'user', parts: [{ text: 'benchmark prompt' }] }] },
    });
  return {
    accessToken,
    projectId,
    direct: (method, model) => ({
      url: `${fake.v1internal}:${method}`,
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: envelope(model),
    }),
    agw: (path, body) => ({
      url: `${gatewayUrl}${path}`,
      headers: { authorization: 'Bearer sk-bench', 'content-type': 'application/json', 'x-api-key': 'sk-bench' },
      body: JSON.stringify(body),
    }),
  };
}
