/** The teardown Lambda handler: account-closure and tag-delete messages from the teardown queue. */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { FlushableMetrics } from '../metrics.js';
import type { FinalFailures } from '../ops/failure-notes.js';
import { parseTeardownMessage } from '../teardown/messages.js';
import { runTeardown, type TeardownDeps } from '../teardown/teardown.js';
import { queueBatchOptions } from './queue-options.js';
import { processSqsBatch } from './sqs-batch.js';

export interface TeardownHandlerDeps extends TeardownDeps {
  sqs?: SQSClient;
  metrics: TeardownDeps['metrics'] & Partial<Pick<FlushableMetrics, 'flush'>>;
  /** Notes each record's last failure before the DLQ for the replay tool (lib/ops/failure-notes.ts). */
  finalFailures?: FinalFailures;
}

/** Creates the handler; refusals (invalid tenant or tag) are acknowledged and logged, never retried. */
export function createTeardownHandler(deps: TeardownHandlerDeps) {
  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    if (context !== undefined) deps.log.addContext(context);
    try {
      return await processSqsBatch(event.Records, {
        ...deps,
        queueUrl: deps.config.queues.teardown,
        ...queueBatchOptions('teardown', deps.finalFailures, deps.config),
        handle: async (record, log) => {
          const sentAt = new Date(
            Number(record.attributes.SentTimestamp) || deps.now().getTime(),
          ).toISOString();
          const message = parseTeardownMessage(record.body, sentAt);
          await runTeardown(message, { ...deps, log });
        },
      });
    } finally {
      deps.metrics.flush?.();
    }
  };
}
