/**
 * `workers-drop replay <queue> [--dry-run] [--limit N] [--tenant T] [--json]`: lists or moves the messages
 * of a stage's DLQ back to its queue (lib/ops/replay.ts). Progress goes to stderr on a terminal only; the
 * summary to stdout (`--json`: one JSON object).
 */
import { parseArgs } from 'node:util';
import { createOpsS3Client, createOpsSqsClient } from '../ops/clients.js';
import {
  type CommandIo,
  describeCommandError,
  EXIT,
  exitCodeOfError,
  regionMissingAsConfig,
} from '../ops/command-io.js';
import { resolveQueuePair } from '../ops/queue-pair.js';
import { replayQueue } from '../ops/replay.js';
import { renderReplayProgress, renderReplaySummary } from '../ops/replay-format.js';
import { type OpsStack, QUEUE_NAMES, requireQueue, resolveStack, STACK_FLAG_OPTIONS } from '../ops/stack.js';
import { createStateReader } from '../ops/state-reads.js';
import { isValidTenant } from '../pipeline/identity.js';
import type { QueueName } from '../pipeline/ports.js';

export const REPLAY_USAGE =
  'usage: workers-drop replay <ingest|upload|finalize|teardown> [--dry-run] [--limit N] [--tenant T] [--json]\n' +
  '                           [--sqs-endpoint URL] [--s3-endpoint URL] [--region R]';

interface ReplayArgs {
  queue: QueueName;
  dryRun: boolean;
  json: boolean;
  limit?: number;
  tenant?: string;
  flags: { sqsEndpoint?: string | undefined; s3Endpoint?: string | undefined; region?: string | undefined };
}

const parseReplayFlags = (argv: string[]) =>
  parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      limit: { type: 'string' },
      tenant: { type: 'string' },
      ...STACK_FLAG_OPTIONS,
    },
  });

/** Parses the arguments; a string is the usage problem. */
export function parseReplayArgs(argv: string[]): ReplayArgs | string {
  let parsed: ReturnType<typeof parseReplayFlags>;
  try {
    parsed = parseReplayFlags(argv);
  } catch (error) {
    return (error as Error).message;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) return 'name exactly one queue.';
  const queue = positionals[0] as QueueName;
  if (!QUEUE_NAMES.includes(queue)) return `unknown queue ${JSON.stringify(queue)}.`;
  if (values.limit !== undefined && !/^[1-9][0-9]{0,8}$/.test(values.limit)) {
    return `--limit must be a positive integer (got ${JSON.stringify(values.limit)}).`;
  }
  if (values.tenant !== undefined && !isValidTenant(values.tenant)) {
    return `--tenant ${JSON.stringify(values.tenant.slice(0, 80))} is not a valid tenant id.`;
  }
  return {
    queue,
    dryRun: values['dry-run'] === true,
    json: values.json === true,
    ...(values.limit === undefined ? {} : { limit: Number(values.limit) }),
    ...(values.tenant === undefined ? {} : { tenant: values.tenant }),
    flags: { sqsEndpoint: values['sqs-endpoint'], s3Endpoint: values['s3-endpoint'], region: values.region },
  };
}

/** Runs `replay`; returns the exit code. */
export async function runReplayCommand(argv: string[], io: CommandIo): Promise<number> {
  const args = parseReplayArgs(argv);
  if (typeof args === 'string') {
    io.stderr.write(`workers-drop replay: ${args}\n${REPLAY_USAGE}\n`);
    return EXIT.usage;
  }
  const controller = new AbortController();
  const unsubscribe = io.onInterrupt?.(() => {
    io.stderr.write('\nStopping after the message in flight (Ctrl-C again to quit at once)...\n');
    controller.abort();
  });
  const progress = io.stderr.isTTY === true;
  const clients: Array<{ destroy(): void }> = [];
  let stack: OpsStack | undefined;
  try {
    stack = await resolveStack({ flags: args.flags, env: io.env, cwd: io.cwd });
    const sqs = createOpsSqsClient(stack);
    clients.push(sqs);
    const pair = await resolveQueuePair(sqs, args.queue, requireQueue(stack, args.queue));
    let state: ReturnType<typeof createStateReader> | undefined;
    if (args.dryRun && stack.stateBucket !== undefined) {
      const s3 = createOpsS3Client(stack);
      clients.push(s3);
      state = createStateReader(s3, stack.stateBucket);
    }
    const summary = await replayQueue({
      sqs,
      pair,
      dryRun: args.dryRun,
      ...(args.tenant === undefined ? {} : { tenant: args.tenant }),
      ...(args.limit === undefined ? {} : { limit: args.limit }),
      ...(state === undefined ? {} : { state }),
      ...(io.now === undefined ? {} : { now: io.now }),
      signal: controller.signal,
      ...(io.dlqWaitTimeSeconds === undefined
        ? {}
        : {
            tuning: {
              scan: { waitTimeSeconds: io.dlqWaitTimeSeconds },
              loop: { waitTimeSeconds: io.dlqWaitTimeSeconds },
            },
          }),
      onProgress: (update) => {
        if (progress) io.stderr.write(`\r${renderReplayProgress(update)}\u001b[K`);
      },
    });
    if (progress) io.stderr.write('\r\u001b[K');
    io.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : renderReplaySummary(summary));
    if (summary.interrupted) return EXIT.interrupted;
    return summary.ok ? EXIT.ok : EXIT.failedOrNotFound;
  } catch (caught) {
    const error = regionMissingAsConfig(caught);
    io.stderr.write(`${progress ? '\n' : ''}workers-drop replay: ${describeCommandError(error, stack)}\n`);
    return exitCodeOfError(error);
  } finally {
    unsubscribe?.();
    for (const client of clients) client.destroy();
  }
}
