/**
 * Structured JSON logging. Handlers and `lib/` modules take a {@link Logger} as a dependency; the
 * production implementation is Powertools Logger, tests use {@link createRecordingLogger}. Every message
 * and field passes through {@link redactValue}, so a token or JWT never reaches a log line.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { redact, redactValue } from './redact.js';

/** Extra keys on a log line: correlation keys (`tenant`, `script`, `build`) and facts. */
export type LogFields = Record<string, unknown>;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The logger every module receives. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line it writes. */
  child(fields: LogFields): Logger;
  /** Adds the Lambda request id and function name to every later line. */
  addContext(context: Context): void;
}

export interface CreateLoggerOptions {
  service: string;
  /** The function (stage) name, written as `function` on every line. */
  functionName?: string;
  level?: LogLevel;
}

const safeFields = (fields: LogFields | undefined): LogFields =>
  fields === undefined ? {} : (redactValue(fields) as LogFields);

class PowertoolsBackedLogger implements Logger {
  constructor(private readonly inner: PowertoolsLogger) {}

  debug(message: string, fields?: LogFields): void {
    this.inner.debug(redact(message), safeFields(fields));
  }
  info(message: string, fields?: LogFields): void {
    this.inner.info(redact(message), safeFields(fields));
  }
  warn(message: string, fields?: LogFields): void {
    this.inner.warn(redact(message), safeFields(fields));
  }
  error(message: string, fields?: LogFields): void {
    this.inner.error(redact(message), safeFields(fields));
  }
  child(fields: LogFields): Logger {
    const child = this.inner.createChild();
    child.appendPersistentKeys(safeFields(fields));
    return new PowertoolsBackedLogger(child);
  }
  addContext(context: Context): void {
    this.inner.addContext(context);
  }
}

/** The production logger: Powertools Logger, one JSON object per line on stdout. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const inner = new PowertoolsLogger({
    serviceName: options.service,
    logLevel: (options.level ?? 'info').toUpperCase() as 'INFO',
    persistentKeys: options.functionName === undefined ? {} : { function: options.functionName },
  });
  return new PowertoolsBackedLogger(inner);
}

/** One recorded line of {@link createRecordingLogger}. */
export interface RecordedLine extends LogFields {
  level: LogLevel;
  message: string;
}

/** A logger that keeps its (redacted) lines in memory: for tests and for local mode's progress view. */
export interface RecordingLogger extends Logger {
  readonly lines: RecordedLine[];
}

/** Creates a {@link RecordingLogger}. Lines of child loggers are recorded in the same array. */
export function createRecordingLogger(base: LogFields = {}, lines: RecordedLine[] = []): RecordingLogger {
  const write = (level: LogLevel, message: string, fields?: LogFields): void => {
    lines.push({ ...base, ...safeFields(fields), level, message: redact(message) });
  };
  return {
    lines,
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    child: (fields) => createRecordingLogger({ ...base, ...safeFields(fields) }, lines),
    addContext: (context) => {
      Object.assign(base, { requestId: context.awsRequestId, function: context.functionName });
    },
  };
}
