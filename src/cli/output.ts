/**
 * Everything the CLI prints goes through here: tables, JSON, and one-line errors. Only src/cli/ writes to stdout.
 */
import { GatewayError, toGatewayError } from '../errors/catalogue.ts';

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain aligned table; cells are stringified and never wrapped. */
export function printTable(headers: readonly string[], rows: ReadonlyArray<readonly unknown[]>): void {
  const cells = [
    headers.map(String),
    ...rows.map((row) => row.map((cell) => (cell === undefined || cell === null ? '' : String(cell)))),
  ];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => displayWidth(row[column] ?? ''))));
  for (const [index, row] of cells.entries()) {
    printLine(
      row
        .map((cell, column) => pad(cell, widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    );
    if (index === 0) printLine(widths.map((width) => '-'.repeat(width)).join('  '));
  }
}

// East Asian wide characters take two columns in a terminal; good enough for names and reasons.
function displayWidth(text: string): number {
  let width = 0;
  for (const character of text)
    width += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(
      character,
    )
      ? 2
      : 1;
  return width;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/** Exit codes: 0 ok, 1 failure, 2 usage. */
export const exitCodes = { ok: 0, failure: 1, usage: 2 } as const;

/** Prints an error as one clear line (plus the catalogue code) on stderr and returns the exit code to use. */
export function reportError(error: unknown): number {
  const gatewayError = toGatewayError(error);
  const message = gatewayError.message.trim();
  process.stderr.write(`error: ${message}${GatewayError.is(error) ? ` [${gatewayError.code}]` : ''}\n`);
  if (gatewayError.code === 'AGW_INTERNAL' && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  return gatewayError.code === 'AGW_CONFIG_UNKNOWN_KEY' ? exitCodes.usage : exitCodes.failure;
}
