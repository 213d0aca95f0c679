interface QuotaBarProps {
  label: string;
  percentage: number | null;
  note: string;
  noteTitle?: string;
}

/** One labelled bar: the bar itself is decoration, the percentage is said in text next to it. */
export function QuotaBar({ label, percentage, note, noteTitle }: QuotaBarProps) {
  const value = percentage === null ? 0 : Math.max(0, Math.min(100, Math.round(percentage)));
  const level = value < 20 ? 'low' : value < 50 ? 'medium' : 'high';
  return (
    <li className="quota-row">
      <span className="quota-model">{label}</span>
      <span className="quota-track" aria-hidden="true">
        <span className={`quota-fill quota-${level}`} style={{ width: `${value}%` }} />
      </span>
      <span className="quota-value">{percentage === null ? 'no data' : `${value}%`}</span>
      <span className="quota-reset" title={noteTitle}>
        {note}
      </span>
    </li>
  );
}
