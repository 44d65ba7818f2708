/**
 * Capturing what leaves the pipeline, before any redaction, for the "no token anywhere" checks:
 * - a logger that keeps every line exactly as the code handed it over (the production logger redacts; this
 *   one does not, so a check on it proves no code passes a secret to the logger in the first place);
 * - every body sent to SQS, through a middleware on the clients (messages must carry sealed tokens only).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { LogFields, Logger, LogLevel } from '../../../lib/log.js';

/** One line as the code wrote it, serialised without redaction. */
export interface RawLine {
  level: LogLevel;
  message: string;
  fields: LogFields;
}

export interface RawLogger extends Logger {
  readonly lines: RawLine[];
  /** Every line as JSON text, errors included with their message, stack and cause. */
  text(): string;
}

/** JSON with errors spelled out (message, stack, cause) and cycles cut (SDK errors hold sockets). */
function serialise(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== 'object' || item === null) return item;
    if (seen.has(item)) return '[cycle]';
    seen.add(item);
    if (item instanceof Error) {
      return { ...item, name: item.name, message: item.message, stack: item.stack, cause: item.cause };
    }
    return item;
  });
}

/** A logger that records raw lines and forwards each one to `next` (which may redact). */
export function createRawLogger(next?: Logger, base: LogFields = {}, lines: RawLine[] = []): RawLogger {
  const write = (level: LogLevel, message: string, fields: LogFields | undefined) => {
    lines.push({ level, message, fields: { ...base, ...fields } });
    next?.[level](message, fields);
  };
  return {
    lines,
    text: () => lines.map(serialise).join('\n'),
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    child: (fields) => createRawLogger(next?.child(fields), { ...base, ...fields }, lines),
    addContext: (context) => {
      next?.addContext(context);
    },
  };
}

interface SendInput {
  MessageBody?: string;
  Entries?: Array<{ MessageBody?: string }>;
}

/** Records the body of every SendMessage / SendMessageBatch entry `client` sends into `bodies`. */
export function captureSentBodies(client: SQSClient, bodies: string[]): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as SendInput;
      if (typeof input.MessageBody === 'string') bodies.push(input.MessageBody);
      for (const entry of input.Entries ?? []) {
        if (typeof entry.MessageBody === 'string') bodies.push(entry.MessageBody);
      }
      return next(args);
    },
    { step: 'initialize', name: 'reliabilityCaptureBodies' },
  );
}
