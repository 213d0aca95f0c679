/**
 * `agw keys create|list|revoke`: user keys (client API keys besides the single API key) in `<data dir>/agw.db`.
 * A running gateway picks changes up by itself: a new key works on its first request, a revocation within a second.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { resolveDataDir } from '../../config/load.ts';
import { keyView } from '../../keys/key-view.ts';
import { parseKeySpec, type UserKeyRecord } from '../../keys/user-key.ts';
import { openUserKeyStore, type UserKeyStore } from '../../telemetry/user-key-store.ts';
import { printJson, printLine, printTable } from '../output.ts';
import type { GlobalOptions } from './global-options.ts';

function withStore<T>(globals: GlobalOptions, work: (store: UserKeyStore) => T): T {
  const dataDir = resolveDataDir(globals);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const store = openUserKeyStore({ path: join(dataDir, 'agw.db') });
  try {
    return work(store);
  } finally {
    store.close();
  }
}

function time(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function limits(record: UserKeyRecord): string {
  const parts = [
    record.models ? `models ${record.models.join(',')}` : '',
    record.requestsPerMinute !== null ? `${record.requestsPerMinute} rpm` : '',
    record.tokensPerDay !== null ? `${record.tokensPerDay} tokens/day` : '',
    record.ips ? `ips ${record.ips.join(',')}` : '',
  ].filter((part) => part !== '');
  return parts.join('; ');
}

export function registerKeyCommands(program: Command, globals: () => GlobalOptions): void {
  const keys = program.command('keys').description('user keys: client API keys for people and tools, with limits');

  keys
    .command('create')
    .description('create a key and print it once (only its hash is stored)')
    .argument('<name>', 'who or what uses the key, e.g. alice or ci-bot')
    .option('--expires <when>', 'a duration (12h, 30d, 2w), an ISO date (2027-01-31) or never', 'never')
    .option(
      '--models <list>',
      'comma-separated model names or globs the key may use, e.g. "gemini-*,claude-sonnet-4-5"',
    )
    .option('--rpm <n>', 'requests per minute')
    .option('--tokens-per-day <n>', 'input plus output tokens per UTC day')
    .option('--ips <list>', 'comma-separated client addresses or CIDR ranges, e.g. "192.168.1.0/24,fd00::/8"')
    .option('--json', 'print JSON')
    .action(
      (
        name: string,
        options: {
          expires?: string;
          models?: string;
          rpm?: string;
          tokensPerDay?: string;
          ips?: string;
          json?: boolean;
        },
      ) => {
        const now = Date.now();
        const spec = parseKeySpec(
          {
            name,
            expires: options.expires,
            models: options.models,
            requestsPerMinute: options.rpm,
            tokensPerDay: options.tokensPerDay,
            ips: options.ips,
          },
          now,
        );
        const { record, key } = withStore(globals(), (store) => store.create(spec, now));
        if (options.json) {
          printJson({ key: keyView(record, now), secret: key });
          return;
        }
        printLine(key);
        printLine();
        printLine(
          `Key "${record.name}" (${record.id}) created. Copy it now: agw stores only its hash and cannot show it again.`,
        );
        const rules = limits(record);
        if (rules !== '') printLine(`Limits: ${rules}`);
        if (record.expiresAt !== null) printLine(`Expires: ${time(record.expiresAt)}`);
      },
    );

  keys
    .command('list')
    .description('list the keys (never the keys themselves)')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const now = Date.now();
      const records = withStore(globals(), (store) => store.list());
      if (options.json) {
        printJson(records.map((record) => keyView(record, now)));
        return;
      }
      if (records.length === 0) {
        printLine('no user keys; create one with `agw keys create <name>`');
        return;
      }
      const view = (record: UserKeyRecord) => keyView(record, now);
      printTable(
        ['ID', 'NAME', 'KEY', 'STATE', 'CREATED', 'LAST USED', 'EXPIRES', 'LIMITS'],
        records.map((record) => [
          record.id,
          record.name,
          record.hint,
          view(record).state,
          time(record.createdAt),
          time(record.lastUsedAt),
          time(record.expiresAt),
          limits(record),
        ]),
      );
    });

  keys
    .command('revoke')
    .description('revoke a key at once (it stays listed, so usage stays attributed)')
    .argument('<name-or-id>', 'the key id (key_…) or the name of a key in force')
    .option('--json', 'print JSON')
    .action((nameOrId: string, options: { json?: boolean }) => {
      const now = Date.now();
      const revoked = withStore(globals(), (store) => store.revoke(nameOrId, now));
      if (options.json) printJson(keyView(revoked, now));
      else printLine(`key "${revoked.name}" (${revoked.id}) revoked; a running gateway refuses it within a second`);
    });
}
