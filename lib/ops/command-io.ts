/**
 * What an operator command touches outside itself: the environment, the working directory, the output
 * streams and Ctrl-C. Commands take it as a parameter so tests run them with captured streams; the CLI
 * passes {@link processIo}, the one place that reads the process (like `functions/` wiring readConfig).
 */

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface CommandIo {
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: OutputStream;
  stderr: OutputStream;
  /** Subscribes to Ctrl-C; returns the unsubscribe function. */
  onInterrupt?: (listener: () => void) => () => void;
  now?: () => Date;
  /** Long-poll wait of DLQ receives (default 1 s; tests use 0 against the exact local stand-in). */
  dlqWaitTimeSeconds?: number;
}

import { ConfigError, isPipelineError } from '../errors.js';
import type { OpsStack } from './stack.js';

/** The exit codes of the operator commands (documented in the README). */
export const EXIT = {
  ok: 0,
  /** replay: something could not be moved; status: nothing is known about the target. */
  failedOrNotFound: 1,
  /** Unusable arguments, or the stack cannot be found. */
  usage: 2,
  /** AWS failed (S3 or SQS unreachable, access denied). */
  awsError: 3,
  /** Interrupted with Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;

/** The real process: a first Ctrl-C asks the command to stop cleanly, a second one exits at once. */
export function processIo(): CommandIo {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    onInterrupt(listener) {
      let interrupts = 0;
      const handler = () => {
        interrupts += 1;
        if (interrupts > 1) process.exit(EXIT.interrupted);
        listener();
      };
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
}

/** `error` and its causes (`cause`, and the `errors` of an AggregateError), outermost first. */
function* causeChain(error: unknown, depth = 0): Generator<unknown> {
  if (error === undefined || error === null || depth > 8) return;
  yield error;
  if (typeof error !== 'object') return;
  const { cause, errors } = error as { cause?: unknown; errors?: unknown };
  yield* causeChain(cause, depth + 1);
  if (Array.isArray(errors)) for (const inner of errors) yield* causeChain(inner, depth + 1);
}

const hasCause = (error: unknown, test: (cause: Record<string, unknown>) => boolean): boolean => {
  for (const cause of causeChain(error)) {
    if (typeof cause === 'object' && cause !== null && test(cause as Record<string, unknown>)) return true;
  }
  return false;
};

/**
 * The SDK could not find a region (no flag, variable or profile): a usage problem, not an AWS outage.
 * Returns the error to report: a {@link ConfigError} saying where a region comes from, or `error` itself.
 */
export function regionMissingAsConfig(error: unknown): unknown {
  const missing = hasCause(
    error,
    (cause) => typeof cause.message === 'string' && /Region is missing/.test(cause.message),
  );
  return missing
    ? new ConfigError('No AWS region: pass --region, set AWS_REGION, or use a profile that names one.')
    : error;
}

/** The text of a command's failure: a pipeline error's safe message, or the SDK's own words. */
export function describeCommandError(error: unknown, stack?: OpsStack): string {
  const text = isPipelineError(error)
    ? error.message
    : error instanceof Error
      ? `${error.name}: ${error.message}`
      : String(error);
  const refused = hasCause(error, (cause) => cause.code === 'ECONNREFUSED');
  if (!refused || stack?.stackFile === undefined || !stack.endpointFromFile) return text;
  // The endpoints came from the file local mode writes while it runs: most likely it has stopped.
  return (
    `${text}\nThe endpoints came from ${stack.stackFile}, which local mode writes while it runs: ` +
    'is `npm start` still running? Start it, or point the command elsewhere with --sqs-endpoint/--s3-endpoint.'
  );
}

/** Configuration problems are usage errors (2); everything else means AWS could not be reached (3). */
export const exitCodeOfError = (error: unknown): number =>
  isPipelineError(error) && (error.code === 'config.invalid' || error.category === 'user-input')
    ? EXIT.usage
    : EXIT.awsError;
