/**
 * `workers-drop status <tenant>/<script>[/<build>] [--json]`: what is deployed, the recent builds, what is
 * in flight and what waits in a DLQ for one script (lib/ops/status.ts). Exit 0 found, 1 not found, 2 usage.
 */

import { parseArgs } from 'node:util';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createOpsS3Client, createOpsSqsClient } from '../ops/clients.js';
import {
  type CommandIo,
  describeCommandError,
  EXIT,
  exitCodeOfError,
  regionMissingAsConfig,
} from '../ops/command-io.js';
import { type QueuePair, resolveQueuePair } from '../ops/queue-pair.js';
import {
  type OpsStack,
  QUEUE_NAMES,
  requireStateBucket,
  resolveStack,
  STACK_FLAG_OPTIONS,
} from '../ops/stack.js';
import { createStateReader } from '../ops/state-reads.js';
import { parseStatusTarget, readScriptStatus, type StatusOptions } from '../ops/status.js';
import { renderScriptStatus } from '../ops/status-format.js';

export const STATUS_USAGE =
  'usage: workers-drop status <tenant>/<script>[/<build>] [--json] [--sqs-endpoint URL] [--s3-endpoint URL] [--region R]';

const parseStatusFlags = (argv: string[]) =>
  parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { json: { type: 'boolean' }, ...STACK_FLAG_OPTIONS },
  });

/** Resolves every configured queue's DLQ; queues that cannot be resolved are named in `unavailable`. */
async function resolveDlqs(stack: OpsStack, sqs: SQSClient, io: CommandIo): Promise<StatusOptions['dlq']> {
  const pairs: QueuePair[] = [];
  const problems: string[] = [];
  for (const queue of QUEUE_NAMES) {
    const entry = stack.queues[queue];
    if (entry === undefined) continue;
    try {
      pairs.push(await resolveQueuePair(sqs, queue, entry));
    } catch (error) {
      problems.push(`${queue}: ${describeCommandError(regionMissingAsConfig(error), stack)}`);
    }
  }
  if (pairs.length === 0 && problems.length === 0) problems.push('no queue URLs configured');
  return {
    sqs,
    pairs,
    ...(problems.length === 0 ? {} : { unavailable: problems.join('; ') }),
    ...(io.dlqWaitTimeSeconds === undefined ? {} : { tuning: { waitTimeSeconds: io.dlqWaitTimeSeconds } }),
  };
}

/** Runs `status`; returns the exit code. */
export async function runStatusCommand(argv: string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parseStatusFlags>;
  let target: ReturnType<typeof parseStatusTarget>;
  try {
    parsed = parseStatusFlags(argv);
    if (parsed.positionals.length !== 1) throw new Error('name exactly one <tenant>/<script>[/<build>].');
    target = parseStatusTarget(parsed.positionals[0] ?? '');
  } catch (error) {
    io.stderr.write(`workers-drop status: ${describeCommandError(error)}\n${STATUS_USAGE}\n`);
    return EXIT.usage;
  }
  const { values } = parsed;
  const clients: Array<{ destroy(): void }> = [];
  let stack: OpsStack | undefined;
  try {
    stack = await resolveStack({
      flags: {
        sqsEndpoint: values['sqs-endpoint'],
        s3Endpoint: values['s3-endpoint'],
        region: values.region,
      },
      env: io.env,
      cwd: io.cwd,
    });
    const s3 = createOpsS3Client(stack);
    const sqs = createOpsSqsClient(stack);
    clients.push(s3, sqs);
    const now = io.now ?? (() => new Date());
    const status = await readScriptStatus({
      state: createStateReader(s3, requireStateBucket(stack)),
      ...target,
      dlq: await resolveDlqs(stack, sqs, io),
      now,
    });
    io.stdout.write(values.json === true ? `${JSON.stringify(status)}\n` : renderScriptStatus(status, now()));
    const found = status.build === undefined ? status.found : status.build.found;
    return found ? EXIT.ok : EXIT.failedOrNotFound;
  } catch (caught) {
    const error = regionMissingAsConfig(caught);
    io.stderr.write(`workers-drop status: ${describeCommandError(error, stack)}\n`);
    return exitCodeOfError(error);
  } finally {
    for (const client of clients) client.destroy();
  }
}
