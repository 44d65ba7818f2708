/** The teardown Lambda handler: account-closure and tag-delete messages from the teardown queue. */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { FlushableMetrics } from '../metrics.js';
import { parseTeardownMessage } from '../teardown/messages.js';
import { runTeardown, type TeardownDeps } from '../teardown/teardown.js';
import { processSqsBatch } from './sqs-batch.js';

export interface TeardownHandlerDeps extends TeardownDeps {
  sqs?: SQSClient;
  metrics: TeardownDeps['metrics'] & Partial<Pick<FlushableMetrics, 'flush'>>;
}

/** Creates the handler; refusals (invalid tenant or tag) are acknowledged and logged, never retried. */
export function createTeardownHandler(deps: TeardownHandlerDeps) {
  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    if (context !== undefined) deps.log.addContext(context);
    try {
      return await processSqsBatch(event.Records, {
        ...deps,
        queueUrl: deps.config.queues.teardown,
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
