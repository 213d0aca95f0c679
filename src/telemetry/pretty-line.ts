/**
 * Turns one pino JSON line into a short human-readable line for a terminal. agw does its own (small) formatting
 * because pino-pretty is only a development dependency and must not be needed at run time.
 */

const levelNames: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const levelColours: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };
const hiddenKeys = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

export interface PrettyOptions {
  colour: boolean;
}

/** `HH:MM:SS.mmm LEVEL message key=value …`; a line that is not JSON is passed through unchanged. */
export function formatPrettyLine(line: string, options: PrettyOptions): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = typeof record['level'] === 'number' ? record['level'] : 30;
  const time = typeof record['time'] === 'string' ? record['time'].slice(11, 23) : '';
  const name = levelNames[level] ?? String(level);
  const label = options.colour ? `\u001b[${levelColours[level] ?? '0'}m${name}\u001b[0m` : name;
  const parts = [time, label, typeof record['msg'] === 'string' ? record['msg'] : ''];
  let stack: string | undefined;
  for (const [key, value] of Object.entries(record)) {
    if (hiddenKeys.has(key)) continue;
    if (key === 'err' && typeof value === 'object' && value !== null) {
      const error = value as Record<string, unknown>;
      if (typeof error['stack'] === 'string') stack = error['stack'];
      parts.push(`err=${JSON.stringify(error['message'] ?? '')}`);
      continue;
    }
    parts.push(`${key}=${typeof value === 'string' && !/[\s"=]/.test(value) ? value : JSON.stringify(value)}`);
  }
  const text = parts.filter((part) => part !== '').join(' ');
  if (stack === undefined) return `${text}\n`;
  const frames = stack
    .split('\n')
    .slice(1)
    .map((frame) => `    ${frame.trim()}`);
  return `${[text, ...frames].join('\n')}\n`;
}
