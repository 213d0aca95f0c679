/** Unix seconds (or milliseconds, or an ISO string) as a local date and time. */
export function formatTime(value: number | string | null | undefined): string {
  const date = toDate(value);
  return date ? date.toLocaleString() : '—';
}

/** How long until a moment, e.g. "in 2 h 5 min"; "now" once it has passed. */
export function formatUntil(value: number | string | null | undefined, now = Date.now()): string {
  const date = toDate(value);
  if (!date) return '—';
  const minutes = Math.round((date.getTime() - now) / 60_000);
  if (minutes <= 0) return 'now';
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `in ${hours} h` : `in ${hours} h ${minutes % 60} min`;
  return `in ${Math.round(hours / 24)} days`;
}

function toDate(value: number | string | null | undefined): Date | null {
  if (value === null || value === undefined || value === '' || value === 0) return null;
  if (typeof value === 'number') return new Date(value < 1e12 ? value * 1000 : value);
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A 0..1 fraction as "12.5%". */
export function formatFraction(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return `${Math.round(value * 1000) / 10}%`;
}
