/**
 * The logging interface every layer accepts. It is the subset of pino's Logger that agw uses, so the real
 * logger (src/telemetry/logger.ts) is passed as it is, and tests pass a recording logger.
 */
export interface LogFunction {
  (message: string): void;
  (fields: Record<string, unknown>, message?: string): void;
}

export interface Logger {
  debug: LogFunction;
  info: LogFunction;
  warn: LogFunction;
  error: LogFunction;
  child(bindings: Record<string, unknown>): Logger;
}

const ignore: LogFunction = () => undefined;

/** A logger that drops everything: the default where no logger is injected. */
export const silentLogger: Logger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  child: () => silentLogger,
};

export interface RecordedLogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps every line, for tests that assert on log output. */
export function createRecordingLogger(): Logger & { lines: RecordedLogLine[] } {
  const lines: RecordedLogLine[] = [];
  const make = (level: RecordedLogLine['level'], bindings: Record<string, unknown>): LogFunction =>
    ((first: string | Record<string, unknown>, second?: string) => {
      if (typeof first === 'string') lines.push({ level, message: first, fields: { ...bindings } });
      else lines.push({ level, message: second ?? '', fields: { ...bindings, ...first } });
    }) as LogFunction;
  const build = (bindings: Record<string, unknown>): Logger => ({
    debug: make('debug', bindings),
    info: make('info', bindings),
    warn: make('warn', bindings),
    error: make('error', bindings),
    child: (more) => build({ ...bindings, ...more }),
  });
  return Object.assign(build({}), { lines });
}
