/**
 * The pool state of several gateways on Redis (the SharedPoolState port of src/pool/ports.ts): cooldowns and
 * poison verdicts as keys that expire with them (SET … PXAT), announced on `agw:pool-state`.
 *
 * `publish` returns at once: the write and the announcement go out in the background (queued while Redis is
 * down, sent in order when it is back). Each gateway keeps its own copy in its pool, so requests never wait on
 * Redis; at start and after every reconnect the keys in force are read again, so a gateway that started late or
 * missed messages during an outage still honours every cooldown.
 *
 *   `agw:cooldown:<account id>:<model key or *>`  JSON SharedCooldown, expires at `untilMs`
 *   `agw:poison:<fingerprint>`                     `untilMs`, expires then
 */
import type { SharedCooldown, SharedPoolState, SharedStateChange } from '../../pool/ports.ts';
import { type Logger, silentLogger } from '../../telemetry/log-port.ts';
import type { RedisConnection } from './connection.ts';

/** Sets the cooldown unless a longer one is stored; announces it. */
const cooldownScript = `
local existing = redis.call('GET', KEYS[1])
if existing then
  local ok, decoded = pcall(cjson.decode, existing)
  if ok and tonumber(decoded.untilMs) and tonumber(decoded.untilMs) >= tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`;

/** Deletes the cooldown if it is still the one that ends at ARGV[1]; announces it. */
const clearScript = `
local existing = redis.call('GET', KEYS[1])
if existing then
  local ok, decoded = pcall(cjson.decode, existing)
  if ok and tostring(decoded.untilMs) == ARGV[1] then redis.call('DEL', KEYS[1]) end
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`;

export function redisPoolState(
  connection: RedisConnection,
  options: { logger?: Logger; now?: () => number } = {},
): SharedPoolState {
  const redis = connection.commands;
  const prefix = connection.prefix;
  const channel = `${prefix}pool-state`;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const cooldownKey = (accountId: string, model: string | undefined): string =>
    `${prefix}cooldown:${accountId}:${model ?? '*'}`;

  const announce = (change: SharedStateChange): string => JSON.stringify({ change, origin: connection.origin });
  const failed = (what: string) => (error: unknown) =>
    logger.warn(
      { error: error instanceof Error ? error.message : String(error) },
      `sharing ${what} through Redis failed`,
    );

  async function readInForce(): Promise<SharedStateChange[]> {
    const changes: SharedStateChange[] = [];
    for (const pattern of [`${prefix}cooldown:*`, `${prefix}poison:*`]) {
      let cursor = '0';
      // Bounded: SCAN ends when the cursor comes back to 0; the round cap only guards against a misbehaving server.
      for (let round = 0; round < 10_000; round += 1) {
        const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        if (found.length > 0) {
          const values = await redis.mget(...found);
          found.forEach((key, position) => {
            const value = values[position];
            if (value === null || value === undefined) return;
            const change = pattern.includes('cooldown')
              ? cooldownFromStored(value)
              : poisonFromStored(key.slice(`${prefix}poison:`.length), value);
            if (change !== undefined) changes.push(change);
          });
        }
        if (cursor === '0') break;
      }
    }
    return changes;
  }

  return {
    publish(change) {
      const nowMs = now();
      switch (change.kind) {
        case 'cooldown': {
          const { cooldown } = change;
          if (cooldown.untilMs <= nowMs) return;
          void connection
            .track(
              redis.eval(
                cooldownScript,
                1,
                cooldownKey(cooldown.accountId, cooldown.model),
                JSON.stringify(cooldown),
                String(cooldown.untilMs),
                channel,
                announce(change),
              ),
            )
            .catch(failed('a cooldown'));
          return;
        }
        case 'cooldown-cleared':
          void connection
            .track(
              redis.eval(
                clearScript,
                1,
                cooldownKey(change.accountId, change.model),
                String(change.untilMs),
                channel,
                announce(change),
              ),
            )
            .catch(failed('the end of a cooldown'));
          return;
        case 'poisoned': {
          if (change.untilMs <= nowMs) return;
          const transaction = redis
            .multi()
            .set(`${prefix}poison:${change.fingerprint}`, String(change.untilMs), 'PXAT', change.untilMs)
            .publish(channel, announce(change));
          void connection.track(transaction.exec()).catch(failed('a poison verdict'));
          return;
        }
      }
    },

    subscribe(listener) {
      const deliver = (change: SharedStateChange): void => {
        try {
          listener(change);
        } catch (error) {
          logger.error({ error: String(error) }, 'applying a shared pool-state change failed');
        }
      };
      const stopMessages = connection.subscribe(channel, (text) => {
        try {
          const parsed = JSON.parse(text) as { change?: SharedStateChange; origin?: string };
          if (parsed.origin === connection.origin || parsed.change === undefined) return;
          deliver(parsed.change);
        } catch {
          // Not ours: ignored.
        }
      });
      const replay = (): void => {
        void readInForce()
          .then((changes) => {
            for (const change of changes) deliver(change);
          })
          .catch(failed('reading the shared cooldowns'));
      };
      replay();
      const stopReconnect = connection.onReconnect(replay);
      return () => {
        stopMessages();
        stopReconnect();
      };
    },
  };
}

function cooldownFromStored(value: string): SharedStateChange | undefined {
  try {
    const cooldown = JSON.parse(value) as SharedCooldown;
    if (typeof cooldown.accountId !== 'string' || typeof cooldown.untilMs !== 'number') return undefined;
    return { kind: 'cooldown', cooldown };
  } catch {
    return undefined;
  }
}

function poisonFromStored(fingerprint: string, value: string): SharedStateChange | undefined {
  const untilMs = Number(value);
  return Number.isFinite(untilMs) ? { kind: 'poisoned', fingerprint, untilMs } : undefined;
}
