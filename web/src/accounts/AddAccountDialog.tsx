import { type KeyboardEvent, useId, useRef, useState } from 'react';
import { Dialog } from '../components/Dialog.tsx';
import { GoogleSignInTab } from './GoogleSignInTab.tsx';
import { ImportTab } from './ImportTab.tsx';
import { RefreshTokenTab } from './RefreshTokenTab.tsx';

export type AddTab = 'refresh-token' | 'google' | 'import';

const tabs: { id: AddTab; title: string }[] = [
  { id: 'refresh-token', title: 'Refresh token' },
  { id: 'google', title: 'Sign in with Google' },
  { id: 'import', title: 'Import' },
];

interface AddAccountDialogProps {
  initialTab: AddTab;
  reAddEmail: string | null;
  onChanged: () => void;
  onClose: () => void;
}

/** The add-account dialog: three ways in, as ARIA tabs (arrow keys move between them). */
export function AddAccountDialog({ initialTab, reAddEmail, onChanged, onClose }: AddAccountDialogProps) {
  const [selected, setSelected] = useState<AddTab>(initialTab);
  const baseId = useId();
  const tabRefs = useRef(new Map<AddTab, HTMLButtonElement>());

  const moveWithArrows = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    const index = tabs.findIndex((tab) => tab.id === selected);
    const step = event.key === 'ArrowRight' ? 1 : tabs.length - 1;
    const next = tabs[(index + step) % tabs.length];
    if (!next) return;
    setSelected(next.id);
    tabRefs.current.get(next.id)?.focus();
  };

  return (
    <Dialog title={reAddEmail ? `Re-add ${reAddEmail}` : 'Add account'} onClose={onClose}>
      <div role="tablist" aria-label="How to add the account" className="tabs" onKeyDown={moveWithArrows}>
        {tabs.map((tab) => (
          <button
            key={tab.id}
            ref={(element) => {
              if (element) tabRefs.current.set(tab.id, element);
            }}
            type="button"
            role="tab"
            id={`${baseId}-${tab.id}-tab`}
            aria-controls={`${baseId}-${tab.id}-panel`}
            aria-selected={tab.id === selected}
            tabIndex={tab.id === selected ? 0 : -1}
            onClick={() => setSelected(tab.id)}
          >
            {tab.title}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${baseId}-${selected}-panel`} aria-labelledby={`${baseId}-${selected}-tab`}>
        {selected === 'refresh-token' && <RefreshTokenTab reAddEmail={reAddEmail} onChanged={onChanged} />}
        {selected === 'google' && <GoogleSignInTab onChanged={onChanged} />}
        {selected === 'import' && <ImportTab onChanged={onChanged} />}
      </div>
    </Dialog>
  );
}
