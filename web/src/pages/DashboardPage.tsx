import { useCallback, useEffect, useState } from 'react';
import { api, describeError } from '../api/client.ts';
import { useServerEvent } from '../api/events.ts';
import type { GatewayStatus, PoolView, QuotaAccount } from '../api/types.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { QuotaBar } from '../components/QuotaBar.tsx';
import { formatFraction } from '../format.ts';

const families = ['claude', 'gemini-pro', 'gemini-flash', 'other'] as const;
type Family = (typeof families)[number];

/** Which family a model name belongs to, for the per-family quota averages. */
export function familyOf(model: string): Family {
  const name = model.toLowerCase();
  if (name.includes('claude')) return 'claude';
  if (name.includes('gemini') && name.includes('pro')) return 'gemini-pro';
  if (name.includes('gemini') && name.includes('flash')) return 'gemini-flash';
  return 'other';
}

function averageByFamily(accounts: QuotaAccount[]): { family: Family; average: number | null; models: number }[] {
  const sums = new Map<Family, { total: number; count: number }>();
  for (const account of accounts) {
    for (const model of account.models) {
      // An unknown remaining quota is left out of the average rather than counted as 0 %.
      if (model.percentage === null) continue;
      const family = familyOf(model.name);
      const sum = sums.get(family) ?? { total: 0, count: 0 };
      sum.total += model.percentage;
      sum.count += 1;
      sums.set(family, sum);
    }
  }
  return families.map((family) => {
    const sum = sums.get(family);
    return { family, average: sum ? sum.total / sum.count : null, models: sum?.count ?? 0 };
  });
}

/** How long the dashboard waits between refreshes of its numbers. */
const refreshIntervalMs = 15_000;

/** The Dashboard: pool counts, average remaining quota per model family, traffic and errors. */
export function DashboardPage() {
  const [pool, setPool] = useState<PoolView | null>(null);
  const [quota, setQuota] = useState<QuotaAccount[] | null>(null);
  const [status, setStatus] = useState<GatewayStatus | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    try {
      const [poolAnswer, quotaAnswer, statusAnswer] = await Promise.all([api.pool(), api.quota(), api.status()]);
      setPool(poolAnswer);
      setQuota(quotaAnswer.accounts);
      setStatus(statusAnswer);
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    }
  }, []);

  useEffect(() => {
    void reload();
    const timer = setInterval(() => void reload(), refreshIntervalMs);
    return () => clearInterval(timer);
  }, [reload]);
  useServerEvent('account', () => void reload());

  const counts = pool?.counts;
  const cards: { title: string; value: string }[] = [
    { title: 'Usable', value: String(counts?.usable ?? '—') },
    { title: 'Cooling', value: String(counts?.cooling ?? '—') },
    { title: 'Disabled', value: String(counts?.disabled ?? '—') },
    { title: 'Proxy-disabled', value: String(counts?.proxy_disabled ?? '—') },
    { title: 'Validation-blocked', value: String(counts?.validation_blocked ?? '—') },
    { title: 'Requests per minute', value: status ? String(status.requests_per_minute) : '—' },
    { title: 'Error rate', value: status ? formatFraction(status.error_rate) : '—' },
  ];

  return (
    <section aria-labelledby="dashboard-title" className="stack">
      <h1 id="dashboard-title">Dashboard</h1>
      <ErrorNotice message={error} />
      <dl className="cards">
        {cards.map((card) => (
          <div key={card.title} className="card">
            <dt>{card.title}</dt>
            <dd>{card.value}</dd>
          </div>
        ))}
      </dl>
      <section className="panel" aria-labelledby="family-title">
        <h2 id="family-title">Quota by model family</h2>
        <p className="muted">Average remaining quota over every account and model of the family.</p>
        <ul className="quota-bars family-bars" aria-label="Average remaining quota per family">
          {(quota ? averageByFamily(quota) : []).map((row) => (
            <QuotaBar
              key={row.family}
              label={row.family}
              percentage={row.average}
              note={`${row.models} model entries`}
            />
          ))}
        </ul>
      </section>
    </section>
  );
}
