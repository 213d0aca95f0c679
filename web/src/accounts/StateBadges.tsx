import type { AccountView } from '../api/types.ts';
import { badgesOf } from './states.ts';

/** The state badges of one account, each with its reason as visible text (never colour alone). */
export function StateBadges({ account }: { account: AccountView }) {
  return (
    <ul className="badges" aria-label="State">
      {badgesOf(account).map((badge) => (
        <li key={badge.kind} className="badge-item">
          <span className={`badge badge-${badge.kind}`} title={badge.detail ?? badge.label}>
            {badge.label}
          </span>
          {badge.detail && <span className="badge-detail">{badge.detail}</span>}
          {badge.link && (
            <a className="badge-link" href={badge.link.href} target="_blank" rel="noreferrer">
              {badge.link.text}
            </a>
          )}
        </li>
      ))}
    </ul>
  );
}
