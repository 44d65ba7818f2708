/**
 * One SQS batch, one record at a time, with the pipeline's failure policy:
 * - `user-input` failures are acknowledged (their outcome is recorded for the build system) and logged;
 * - anything else (`transient`, `upstream-rejected`, `bug`) is reported in `batchItemFailures`, so SQS
 *   redelivers it and finally parks it in the DLQ, from where operators replay it;
 * - every redelivered record gets its own delay (its visibility timeout is moved): a `Retry-After` as given,
 *   otherwise an exponential backoff on the receive count (`retryBaseMs` x 2^(receives - 1), at most 15
 *   minutes), so a short outage is ridden out within maxReceiveCount instead of waiting the queue's long
 *   visibility timeout (sized for the function timeout) between attempts;
 * - a failure on the record's last receive (`maxReceiveCount`) is passed to `onFinalFailure`, which notes
 *   it for the replay tool (lib/ops/failure-notes.ts), since SQS keeps no error with a parked message.
 */
import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { type PipelineError, toPipelineError } from '../errors.js';
import type { LogFields, Logger } from '../log.js';
import type { Metrics } from '../pipeline/ports.js';

export interface BatchOptions {
  log: Logger;
  metrics: Metrics;
  /** For visibility changes on `Retry-After`; omitted in unit tests. */
  sqs?: SQSClient;
  queueUrl?: string;
  /** Handles one record; throwing reports the failure per the policy above. */
  handle: (record: SQSRecord, log: Logger) => Promise<void>;
  /** Correlation keys (`tenant`, `script`, `build`) for every line about the record, failures included. */
  correlate?: (record: SQSRecord) => LogFields;
  /** The queue's `maxReceiveCount`: a failure on this receive (or later) is the last before the DLQ. */
  maxReceiveCount?: number;
  /** Called with a record's last failure; its own errors are logged and never change the outcome. */
  onFinalFailure?: (record: SQSRecord, error: PipelineError) => Promise<void>;
  /** First redelivery delay of the backoff (default 10 s). */
  retryBaseMs?: number;
}

/** The longest backoff delay. */
const MAX_BACKOFF_MS = 15 * 60 * 1000;
const DEFAULT_RETRY_BASE_MS = 10_000;

/** The SQS visibility timeout limit. */
const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

async function delayRedelivery(
  record: SQSRecord,
  retryAfterMs: number,
  options: BatchOptions,
): Promise<void> {
  if (options.sqs === undefined || options.queueUrl === undefined) return;
  const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, Math.ceil(retryAfterMs / 1000)));
  try {
    await options.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: options.queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  } catch (error) {
    options.log.warn('could not delay the redelivery; SQS will use the queue visibility timeout', {
      error: toPipelineError(error).message,
    });
  }
}

async function noteFinalFailure(
  record: SQSRecord,
  error: PipelineError,
  log: Logger,
  options: BatchOptions,
): Promise<void> {
  if (options.onFinalFailure === undefined) return;
  try {
    await options.onFinalFailure(record, error);
  } catch (noteError) {
    log.warn('could not note the final failure for the replay tool', {
      error: toPipelineError(noteError).message,
    });
  }
}

/**
 * How long SQS should wait before redelivering. A `Retry-After` is honoured as given. A busy deploy lease
 * backs off exponentially with the receive count (2 s, 4 s, 8 s ... up to the lease's end): a live holder
 * finishes in seconds, while a crashed holder's lease is outlasted within the queue's maxReceiveCount.
 * Anything else backs off from `retryBaseMs`.
 */
function redeliveryDelayMs(error: PipelineError, record: SQSRecord, baseMs: number): number {
  const receives = Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1);
  if (error.code === 'build.busy' && error.retryAfterMs !== undefined) {
    return Math.min(error.retryAfterMs, 1000 * 2 ** receives);
  }
  if (error.retryAfterMs !== undefined) return error.retryAfterMs;
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (receives - 1));
}

/** Processes the batch and returns the records to redeliver. */
export async function processSqsBatch(
  records: SQSRecord[],
  options: BatchOptions,
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchItemFailure[] = [];
  for (const record of records) {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    const log = options.log.child({
      ...options.correlate?.(record),
      messageId: record.messageId,
      receiveCount,
    });
    try {
      await options.handle(record, log);
    } catch (thrown) {
      const error = toPipelineError(thrown);
      const fields = {
        category: error.category,
        code: error.code,
        ...(error.entry === undefined ? {} : { entry: error.entry }),
        ...(error.category === 'bug' ? { cause: error.cause } : {}),
      };
      options.metrics.count('RecordFailures', 1, { code: error.code });
      if (error.category === 'user-input') {
        log.warn(`record acknowledged: ${error.message}`, fields);
        continue;
      }
      log.error(`record failed, SQS will redeliver it: ${error.message}`, fields);
      batchItemFailures.push({ itemIdentifier: record.messageId });
      await delayRedelivery(
        record,
        redeliveryDelayMs(error, record, options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS),
        options,
      );
      if (options.maxReceiveCount !== undefined && receiveCount >= options.maxReceiveCount) {
        await noteFinalFailure(record, error, log, options);
      }
    }
  }
  return { batchItemFailures };
}
