/**
 * The per-queue parts of a batch run that every stage handler shares: log correlation keys read from the
 * body, and the final-failure note for the replay tool when the deployment wires one.
 */
import type { SQSRecord } from 'aws-lambda';
import type { FinalFailures } from '../ops/failure-notes.js';
import { correlationFields } from '../ops/message-info.js';
import type { QueueName } from '../pipeline/ports.js';
import type { BatchOptions } from './sqs-batch.js';

/** Batch options of `queue`: correlation always; final-failure notes when `finalFailures` is given. */
export function queueBatchOptions(
  queue: QueueName,
  finalFailures: FinalFailures | undefined,
  config: { retryBaseSeconds: number },
): Pick<BatchOptions, 'correlate' | 'maxReceiveCount' | 'onFinalFailure' | 'retryBaseMs'> {
  const correlate = (record: SQSRecord) => correlationFields(queue, record.body);
  const retryBaseMs = config.retryBaseSeconds * 1000;
  if (finalFailures === undefined) return { correlate, retryBaseMs };
  return {
    correlate,
    retryBaseMs,
    maxReceiveCount: finalFailures.maxReceiveCount[queue],
    onFinalFailure: (record, error) => finalFailures.note(queue, record, error),
  };
}
