import type { AccountQuota } from '../api/types.ts';
import { QuotaBar } from '../components/QuotaBar.tsx';
import { formatTime, formatUntil } from '../format.ts';

/** Remaining quota per model: a bar, the percentage and when it resets. */
export function QuotaBars({ quota }: { quota: AccountQuota | null }) {
  if (!quota || quota.models.length === 0) return <p className="muted">No quota data yet.</p>;
  return (
    <ul className="quota-bars" aria-label="Quota">
      {quota.models.map((model) => (
        <QuotaBar
          key={model.name}
          label={model.name}
          percentage={model.percentage}
          note={model.reset_time ? `resets ${formatUntil(model.reset_time)}` : ''}
          noteTitle={formatTime(model.reset_time)}
        />
      ))}
    </ul>
  );
}
