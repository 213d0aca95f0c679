interface ErrorNoticeProps {
  message: string | null;
}

/** A visible, announced error line; renders nothing when there is no error. */
export function ErrorNotice({ message }: ErrorNoticeProps) {
  if (!message) return null;
  return (
    <p className="notice notice-error" role="alert">
      {message}
    </p>
  );
}
