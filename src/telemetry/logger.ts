import type { DestinationStream, Level, Logger as PinoLogger } from 'pino';
import { pino } from 'pino';
import { type DailyFileDestination, openDailyFile } from './log-files.ts';
import { formatPrettyLine } from './pretty-line.ts';
import {
  defaultSecretRegistry,
  pinoRedactPaths,
  redactionMask,
  redactValue,
  type SecretSource,
  scrubText,
} from './redaction.ts';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** Where lines go instead of the process's stdout (tests, the CLI's own stream). */
export interface LineSink {
  write(line: string): unknown;
}

export interface LoggerOptions {
  level: LogLevel;
  /** Human-readable lines on stdout (config/load.ts's logFormatOf decides); the file always gets JSON lines. */
  pretty: boolean;
  /** Colour the level of pretty lines (only when stdout is a terminal: escape codes would litter a file). */
  colour?: boolean;
  /** The data dir's `logs/`; without it agw logs to stdout only. */
  logDir?: string;
  /** Days a log file is kept after its day ended. Default 7 (the reference's rule). */
  retentionDays?: number;
  /** Budget for all of agw's log files; beyond it the oldest are deleted down to half. Default 1 GiB. */
  maxTotalBytes?: number;
  /** Clock in ms; decides the file's date and the line's timestamp. */
  now?: () => number;
  /** Replaces stdout (default: file descriptor 1). */
  stdout?: LineSink;
  /** Secrets scrubbed from every line; default: the process-wide registry. */
  secrets?: SecretSource;
}

export type AgwLogger = PinoLogger & {
  /** Closes the log file; stdout is left open. */
  close(): void;
  /** The file now being written, when logDir is set. */
  currentLogFile(): string | undefined;
};

export const defaultRetentionDays = 7;
export const defaultMaxTotalBytes = 1024 ** 3;

/**
 * Creates agw's logger: pino writing JSON lines to stdout (or readable lines when `pretty`) and, with `logDir`,
 * to a daily file with retention. Secrets are removed three times over: pino `redact` paths from the one list,
 * a deep redaction of every logged object, and a scrub of the finished line for registered and token-shaped
 * secrets. Message text is written as given (UTF-8, non-ASCII not escaped), so users can grep the seed lines.
 */
export function createLogger(options: LoggerOptions): AgwLogger {
  const now = options.now ?? Date.now;
  const secrets = options.secrets ?? defaultSecretRegistry;
  const streams: { level: Level; stream: DestinationStream }[] = [];
  const streamLevel: Level = options.level === 'silent' ? 'fatal' : options.level;

  const stdoutSink = options.stdout ?? pino.destination({ dest: 1, sync: true });
  const colour = options.pretty && options.colour === true;
  streams.push({
    level: streamLevel,
    stream: {
      write: (line: string) => {
        stdoutSink.write(options.pretty ? formatPrettyLine(line, { colour }) : line);
      },
    },
  });

  let file: DailyFileDestination | undefined;
  if (options.logDir !== undefined) {
    file = openDailyFile({
      directory: options.logDir,
      now,
      retentionDays: options.retentionDays ?? defaultRetentionDays,
      maxTotalBytes: options.maxTotalBytes ?? defaultMaxTotalBytes,
      // A failing log file must not take the gateway down; stdout still has the lines.
      onError: () => undefined,
    });
    const destination = file;
    streams.push({ level: streamLevel, stream: { write: (line: string) => destination.write(line) } });
  }

  const logger = pino(
    {
      level: options.level,
      base: null,
      timestamp: () => `,"time":"${new Date(now()).toISOString()}"`,
      // Objects arrive already redacted into plain data (errors included), so pino's own err serializer would
      // only rename their type.
      serializers: { err: (value: unknown) => value },
      redact: { paths: pinoRedactPaths(), censor: redactionMask },
      formatters: {
        log: (object) => redactValue(object, secrets),
        bindings: (bindings) => redactValue(bindings, secrets),
      },
      hooks: { streamWrite: (line) => scrubText(line, secrets) },
    },
    pino.multistream(streams, { dedupe: false }),
  );
  const currentFile = file;
  return Object.assign(logger, {
    close: () => currentFile?.close(),
    currentLogFile: () => currentFile?.currentPath,
  });
}
