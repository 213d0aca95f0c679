/** Exponential backoff with jitter, shared by every cooldown that has no upstream hint. */
import type { RandomSource } from './ports.ts';
import type { BackoffSettings } from './settings.ts';

/**
 * Milliseconds to wait after the `failureCount`-th consecutive failure: `baseMs · 2^(n-1)`, capped at `capMs`,
 * then multiplied by a random factor in [1 - jitterRatio, 1 + jitterRatio].
 */
export function backoffMs(
  settings: BackoffSettings,
  failureCount: number,
  random: RandomSource,
  jitterRatio: number,
): number {
  const exponent = Math.min(Math.max(0, failureCount - 1), 30);
  const plain = Math.min(settings.capMs, settings.baseMs * 2 ** exponent);
  const factor = 1 - jitterRatio + 2 * jitterRatio * random();
  return Math.max(0, Math.round(plain * factor));
}

/** The n-th configured step (seconds → ms), repeating the last step once the list is exhausted. */
export function stepMs(stepsSeconds: readonly number[], failureCount: number): number {
  if (stepsSeconds.length === 0) return 7_200_000;
  const index = Math.min(Math.max(0, failureCount - 1), stepsSeconds.length - 1);
  return (stepsSeconds[index] ?? 0) * 1_000;
}
