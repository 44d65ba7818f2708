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

import { isPipelineError } from '../errors.js';

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

/** The text of a command's failure: a pipeline error's safe message, or the SDK's own words. */
export function describeCommandError(error: unknown): string {
  if (isPipelineError(error)) return error.message;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Configuration problems are usage errors (2); everything else means AWS could not be reached (3). */
export const exitCodeOfError = (error: unknown): number =>
  isPipelineError(error) && (error.code === 'config.invalid' || error.category === 'user-input')
    ? EXIT.usage
    : EXIT.awsError;
