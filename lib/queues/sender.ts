/**
 * Sends JSON messages with SendMessageBatch (10 per call), re-sending entries SQS reports as failed, and
 * failing only when an entry still cannot be sent: a message is either confirmed or the caller retries.
 */
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { PipelineError } from '../errors.js';
import type { QueueName, QueueSender } from '../pipeline/ports.js';

/** SQS's batch limit. */
const BATCH_SIZE = 10;
const MAX_ATTEMPTS = 3;

async function sendBatch(
  sqs: SQSClient,
  queueUrl: string,
  entries: SendMessageBatchRequestEntry[],
): Promise<void> {
  let pending = entries;
  for (let attempt = 1; pending.length > 0; attempt += 1) {
    let failedIds: Set<string>;
    try {
      const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      const failed = result.Failed ?? [];
      const senderFault = failed.find((entry) => entry.SenderFault === true);
      if (senderFault !== undefined) {
        throw new PipelineError(
          'internal.unexpected',
          `SQS rejected a message we built: ${senderFault.Code ?? 'unknown'}.`,
        );
      }
      failedIds = new Set(failed.map((entry) => entry.Id ?? ''));
    } catch (error) {
      if (error instanceof PipelineError || attempt >= MAX_ATTEMPTS) {
        throw error instanceof PipelineError
          ? error
          : new PipelineError(
              'sqs.unavailable',
              'SQS did not accept the messages; the step will be retried.',
              {
                cause: error,
              },
            );
      }
      continue;
    }
    pending = pending.filter((entry) => failedIds.has(entry.Id ?? ''));
    if (pending.length > 0 && attempt >= MAX_ATTEMPTS) {
      throw new PipelineError(
        'sqs.unavailable',
        `SQS failed to accept ${pending.length} messages; the step will be retried.`,
      );
    }
  }
}

/** Creates a {@link QueueSender} for the pipeline's queue URLs. */
export function createQueueSender(sqs: SQSClient, urls: Record<QueueName, string>): QueueSender {
  return {
    async send(queue, bodies, options = {}) {
      const entries = bodies.map((body, index) => ({
        Id: String(index),
        MessageBody: JSON.stringify(body),
        ...(options.delaySeconds === undefined ? {} : { DelaySeconds: options.delaySeconds }),
      }));
      for (let i = 0; i < entries.length; i += BATCH_SIZE) {
        await sendBatch(sqs, urls[queue], entries.slice(i, i + BATCH_SIZE));
      }
    },
  };
}
