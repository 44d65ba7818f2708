/**
 * The Lambda handlers of the pipeline's stages, built over `lib/pipeline` with injected dependencies.
 * `functions/*.ts` only wire them to the production dependencies.
 */

import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { FlushableMetrics } from '../metrics.js';
import type { FinalFailures } from '../ops/failure-notes.js';
import { keyCorrelationFields } from '../ops/message-info.js';
import { finalizeBuild } from '../pipeline/finalize.js';
import { ingestObject } from '../pipeline/ingest.js';
import { parseFinalizeMessage, parseUploadMessage } from '../pipeline/messages.js';
import type { PipelineDeps } from '../pipeline/ports.js';
import { type IngestPayload, parseIngestBody, parseNotification } from '../pipeline/s3-events.js';
import { uploadBucketOfBuild } from '../pipeline/upload.js';
import { queueBatchOptions } from './queue-options.js';
import { processSqsBatch } from './sqs-batch.js';

/** Dependencies of a stage handler: the pipeline's, plus the SQS client for visibility changes. */
export interface StageHandlerDeps extends PipelineDeps {
  sqs?: SQSClient;
  metrics: PipelineDeps['metrics'] & Partial<Pick<FlushableMetrics, 'flush'>>;
  /** Notes each record's last failure before the DLQ for the replay tool (lib/ops/failure-notes.ts). */
  finalFailures?: FinalFailures;
}

type SqsHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

const begin = (deps: StageHandlerDeps, context: Context | undefined) => {
  if (context !== undefined) deps.log.addContext(context);
};

async function ingestPayload(
  payload: IngestPayload,
  deps: StageHandlerDeps,
  log: PipelineDeps['log'],
): Promise<void> {
  if (payload.kind === 'test-event') {
    log.info('ignored s3:TestEvent');
    return;
  }
  for (const object of payload.objects) {
    const objectLog = log.child(keyCorrelationFields(object.key));
    const outcome = await ingestObject(object, { ...deps, log });
    objectLog.info('ingest finished', { outcome, key: object.key.slice(0, 300) });
  }
}

/** The ingest handler: SQS batches of S3 notifications, or a direct S3 event. */
export function createIngestHandler(deps: StageHandlerDeps) {
  return async (event: SQSEvent | S3Event, context?: Context): Promise<SQSBatchResponse | undefined> => {
    begin(deps, context);
    try {
      const first = event.Records[0];
      if (first !== undefined && 'eventSource' in first && first.eventSource === 'aws:s3') {
        // Direct S3 -> Lambda (asynchronous invoke): a throw makes Lambda retry the whole event.
        await ingestPayload(parseNotification(event), deps, deps.log);
        return undefined;
      }
      return await processSqsBatch((event as SQSEvent).Records, {
        ...deps,
        queueUrl: deps.config.queues.ingest,
        ...queueBatchOptions('ingest', deps.finalFailures, deps.config),
        handle: (record, log) => ingestPayload(parseIngestBody(record.body), deps, log),
      });
    } finally {
      deps.metrics.flush?.();
    }
  };
}

/** The upload handler: one record is one bucket. */
export function createUploadHandler(deps: StageHandlerDeps): SqsHandler {
  return async (event, context) => {
    begin(deps, context);
    try {
      return await processSqsBatch(event.Records, {
        ...deps,
        queueUrl: deps.config.queues.upload,
        ...queueBatchOptions('upload', deps.finalFailures, deps.config),
        handle: async (record, log) => {
          const message = parseUploadMessage(record.body);
          const child = log.child({ ...message.ref, sessionId: message.sessionId, bucket: message.bucket });
          const outcome = await uploadBucketOfBuild(message, {
            ...deps,
            log: child,
          });
          child.info('upload finished', { outcome });
        },
      });
    } finally {
      deps.metrics.flush?.();
    }
  };
}

/** The finalize handler. */
export function createFinalizeHandler(deps: StageHandlerDeps): SqsHandler {
  return async (event, context) => {
    begin(deps, context);
    try {
      return await processSqsBatch(event.Records, {
        ...deps,
        queueUrl: deps.config.queues.finalize,
        ...queueBatchOptions('finalize', deps.finalFailures, deps.config),
        handle: async (record, log) => {
          const message = parseFinalizeMessage(record.body);
          const child = log.child({ ...message.ref, sessionId: message.sessionId });
          const outcome = await finalizeBuild(message as Parameters<typeof finalizeBuild>[0], {
            ...deps,
            log: child,
          });
          child.info('finalize finished', { outcome });
        },
      });
    } finally {
      deps.metrics.flush?.();
    }
  };
}
