/**
 * Standalone fake Google: `node src/fake-google/main.ts [--port P] [--host H] [--latency MS] [--accounts N]`.
 * Prints its URLs (and the seeded demo accounts) as one JSON line, then serves until SIGINT/SIGTERM.
 * This entry point writes to stdout itself because it is a separate program, not part of the gateway's layers.
 */
import { parseArgs } from 'node:util';
import { createFakeGoogle } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    latency: { type: 'string', default: '0' },
    accounts: { type: 'string', default: '0' },
  },
});

const google = await createFakeGoogle({
  port: Number(values.port),
  host: values.host,
  latencyMs: Number(values.latency),
});
const accounts = [];
for (let index = 1; index <= Number(values.accounts); index++) {
  const handle = google.control.addAccount({
    email: `demo${index}@example.com`,
    name: `Demo User ${index}`,
    refreshToken: `1//fake-demo-refresh-${index}`,
  });
  accounts.push({ email: handle.email, refreshToken: handle.refreshToken() });
}
process.stdout.write(`${JSON.stringify({ ...google.urls, client: google.client, accounts })}\n`);

const stop = () => {
  google.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
