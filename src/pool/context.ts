/** The injected collaborators every part of the pool shares. `settings` is swapped whole on hot reload. */
import type { Logger } from '../telemetry/log-port.ts';
import type {
  Clock,
  PoolEvent,
  PoolStorage,
  ProjectResolver,
  RandomSource,
  RefreshLease,
  SharedPoolState,
  TokenClient,
} from './ports.ts';
import type { PoolSettings } from './settings.ts';

export interface PoolContext {
  settings: PoolSettings;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly storage: PoolStorage;
  readonly tokenClient: TokenClient;
  readonly projectResolver: ProjectResolver;
  /** Where cooldowns and poison verdicts go for the other gateways of a shared pool (nowhere when alone). */
  readonly shared: SharedPoolState;
  readonly refreshLease: RefreshLease;
  emit(event: PoolEvent): void;
}

/** Runs a storage call in the background; a failure is logged, never thrown into a request. */
export function persistInBackground(context: PoolContext, what: string, call: () => Promise<void>): Promise<void> {
  let pending: Promise<void>;
  try {
    pending = call();
  } catch (error) {
    pending = Promise.reject(error);
  }
  const settled = pending.catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    context.logger.error({ operation: what, error: message }, 'Account store update failed');
  });
  backgroundWrites.add(settled);
  void settled.finally(() => backgroundWrites.delete(settled));
  return settled;
}

/** Writes started by persistInBackground and not finished yet (waited for at shutdown). */
const backgroundWrites = new Set<Promise<void>>();

/** Resolves once every background write started so far has finished. */
export async function settleBackgroundWrites(): Promise<void> {
  while (backgroundWrites.size > 0) await Promise.all([...backgroundWrites]);
}
