/**
 * The pipeline's queues, their dead-letter queues and the Lambda event source mappings that drain them,
 * with each stage function's size: one table. serverless.yml (infra/queues.yml and the `functions`
 * section) repeats these numbers, and test/infra/template.test.ts fails when the compiled template drifts
 * from this table; the local stand-ins (infra/local) read it, so retries, batch sizes and DLQ behaviour are
 * the same on a laptop and in AWS.
 */
import type { QueueName } from '../lib/pipeline/ports.js';

/** One stage: its function's size and the queue + mapping that feed it. */
export interface StageQueueSpec {
  /** Lambda memory (MB); CPU scales with it (1,769 MB is one full vCPU). */
  functionMemoryMb: number;
  /** Lambda timeout (seconds, Lambda allows at most 900). */
  functionTimeoutSeconds: number;
  /** At least 6x the function timeout (Lambda's advice for SQS sources), at most 12 h. */
  visibilityTimeoutSeconds: number;
  /** Receives before SQS moves a message to the stage's DLQ. */
  maxReceiveCount: number;
  /** Records per invocation. */
  batchSize: number;
  /** How long Lambda gathers a batch (seconds; 0 = invoke as soon as a record is there). */
  maximumBatchingWindowSeconds: number;
  /** The mapping's `ScalingConfig.MaximumConcurrency` (AWS allows 2-1,000). */
  maximumConcurrency: number;
}

/** Lambda's SQS guidance: visibility timeout at least six times the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** SQS's visibility timeout ceiling (12 h). */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;
/** Source queues keep messages 4 days (the SQS default, stated explicitly). */
export const SOURCE_RETENTION_SECONDS = 345_600;
/**
 * DLQs keep messages 14 days, the SQS maximum: a standard queue's message keeps its original enqueue
 * time in the DLQ, so the DLQ must outlive the source's retention, and operators get two weeks to replay.
 */
export const DLQ_RETENTION_SECONDS = 1_209_600;

/**
 * The stages. Sizing (see README "Deploy to AWS" for the measurements):
 * - ingest streams one archive from S3 in one pass (bounded memory); inflating, CRC-checking and hashing
 *   are CPU-bound, so memory buys CPU. One record per invocation, so one archive gets the whole timeout.
 * - upload streams one Cloudflare bucket (~50 MiB raw, ~67 MiB base64) from the archive into the request,
 *   one entry in memory at a time; one record = one bucket = one Cloudflare request, so the mapping's
 *   concurrency is the number of uploads in flight (API budget).
 * - finalize sends one script upload; teardown loops over Cloudflare deletes and S3 purges.
 */
export const STAGE_QUEUES: Readonly<Record<QueueName, Readonly<StageQueueSpec>>> = Object.freeze({
  ingest: {
    functionMemoryMb: 1024,
    functionTimeoutSeconds: 900,
    visibilityTimeoutSeconds: 5400,
    maxReceiveCount: 5,
    batchSize: 1,
    maximumBatchingWindowSeconds: 0,
    maximumConcurrency: 2,
  },
  upload: {
    functionMemoryMb: 1024,
    functionTimeoutSeconds: 300,
    visibilityTimeoutSeconds: 1800,
    maxReceiveCount: 8,
    batchSize: 1,
    maximumBatchingWindowSeconds: 0,
    maximumConcurrency: 3,
  },
  finalize: {
    functionMemoryMb: 512,
    functionTimeoutSeconds: 180,
    visibilityTimeoutSeconds: 1080,
    maxReceiveCount: 8,
    batchSize: 1,
    maximumBatchingWindowSeconds: 0,
    maximumConcurrency: 2,
  },
  teardown: {
    functionMemoryMb: 512,
    functionTimeoutSeconds: 900,
    visibilityTimeoutSeconds: 5400,
    maxReceiveCount: 5,
    batchSize: 1,
    maximumBatchingWindowSeconds: 0,
    maximumConcurrency: 2,
  },
});

/** The stage names, in pipeline order. */
export const STAGE_NAMES: readonly QueueName[] = ['ingest', 'upload', 'finalize', 'teardown'];

/** The deployed queue name of a stage: `<service>-<stage>-<queue>`. */
export const queueName = (service: string, stage: string, queue: QueueName): string =>
  `${service}-${stage}-${queue}`;

/** The DLQ of a queue: `<queue name>-dlq` (the local stand-ins use the same rule). */
export const dlqName = (queue: string): string => `${queue}-dlq`;
