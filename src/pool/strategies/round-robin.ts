/** Round-robin over the roster's dense array: a cursor that moves past the account it hands out. */
import type { PoolEntry } from '../account-entry.ts';

export class RoundRobinCursor {
  private position = 0;

  /** The next selectable entry at or after the cursor; steady state looks at one entry. */
  pick(order: readonly PoolEntry[], selectable: (entry: PoolEntry) => boolean): PoolEntry | undefined {
    const count = order.length;
    for (let step = 0; step < count; step += 1) {
      const index = (this.position + step) % count;
      const entry = order[index];
      if (entry !== undefined && selectable(entry)) {
        this.position = (index + 1) % count;
        return entry;
      }
    }
    return undefined;
  }
}
