import { CopyButton } from './CopyButton.tsx';

interface CodeBlockProps {
  title: string;
  code: string;
}

/** A titled, copy-ready snippet. */
export function CodeBlock({ title, code }: CodeBlockProps) {
  return (
    <section className="code-block" aria-label={title}>
      <div className="code-block-header">
        <h3>{title}</h3>
        <CopyButton text={code} label={title} />
      </div>
      <pre>
        <code>{code}</code>
      </pre>
    </section>
  );
}
