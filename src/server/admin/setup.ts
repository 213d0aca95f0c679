/**
 * `POST /api/setup/:client`: the console's "write client settings" button, the same as `agw setup CLIENT` run by the
 * user the gateway runs as (the files go under that user's home). Body: `{ dry_run?, undo?, base_url? }`; the base
 * URL defaults to the address the console reached the gateway at. The answer never carries the API key.
 */
import { homedir } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type SetupReport, setupClient, undoClientSetup } from '../../client-setup/apply.ts';
import { localBaseUrl, normaliseBaseUrl } from '../../client-setup/target.ts';
import { clientNames, isClientName } from '../../client-setup/types.ts';
import { GatewayError } from '../../errors/catalogue.ts';
import type { GatewayServices } from '../services.ts';

const bodySchema = z
  .object({ dry_run: z.boolean().optional(), undo: z.boolean().optional(), base_url: z.string().max(2048).optional() })
  .strict();

function view(report: SetupReport) {
  return {
    client: report.client,
    title: report.title,
    dry_run: report.dryRun,
    undo: report.undo,
    files: report.files.map((file) => ({
      path: file.path,
      action: file.action,
      backup: file.backup ?? null,
      changes: file.changes,
    })),
    notes: report.notes,
  };
}

export function registerSetupApi(
  app: FastifyInstance,
  services: Pick<GatewayServices, 'config'>,
  options: { home?: () => string } = {},
): void {
  app.post('/api/setup/:client', async (request) => {
    const client = (request.params as { client: string }).client;
    if (!isClientName(client)) {
      throw new GatewayError('AGW_NOT_FOUND', `unknown client "${client}"; known clients: ${clientNames.join(', ')}`);
    }
    const parsed = bodySchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      throw new GatewayError(
        'AGW_INVALID_REQUEST',
        parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '),
      );
    }
    const body = parsed.data;
    const home = (options.home ?? homedir)();
    const dryRun = body.dry_run === true;
    if (body.undo === true) return view(await undoClientSetup(client, { home, dryRun }));
    const config = services.config();
    const host = request.headers.host;
    const baseUrl =
      body.base_url !== undefined
        ? normaliseBaseUrl(body.base_url)
        : host !== undefined && host !== ''
          ? normaliseBaseUrl(`http://${host}`)
          : localBaseUrl(config.server.host, config.server.port);
    return view(await setupClient(client, { baseUrl, apiKey: config.auth.apiKey }, { home, dryRun }));
  });
}
