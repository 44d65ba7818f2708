/**
 * One measured deploy, from "the artifact is in the bucket" to "the script is deployed", in either shape:
 * in-process (real handlers, in-memory queues) or through local mode's real queues and pollers.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { buildS3EventRecord } from '../../infra/local/s3-notifications.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { parseArtifactKey } from '../../lib/pipeline/identity.js';
import { type ResultRecord, stateKeys } from '../../lib/pipeline/records.js';
import { drainQueues, type Invocation } from './in-process.js';
import type { InProcessPipeline } from './pipeline-deps.js';
import type { S3Counts } from './probes.js';

/** An artifact already in the artifacts bucket. */
export interface StoredArtifact {
  bucket: string;
  key: string;
  etag: string;
  size: number;
}

/** What one deploy measured. */
export interface DeployMeasurement {
  key: string;
  wallMs: number;
  result: ResultRecord;
  s3: S3Counts;
  invocations: Invocation[];
  /** SQS messages sent per queue (in-process: counted by the memory queues). */
  messages?: Record<string, number>;
}

/** A client for the stand-ins' s3rver (its fixed credentials; checksums only when required, as s3rver
 * would store aws-chunked frames verbatim). */
export function createBenchS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Streams a zip file into the bucket (the build system's PUT) and returns its pointer. */
export async function putArtifactFile(
  s3: S3Client,
  bucket: string,
  key: string,
  path: string,
): Promise<StoredArtifact> {
  const size = (await stat(path)).size;
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: createReadStream(path),
      ContentLength: size,
      ContentType: 'application/zip',
    }),
  );
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return { bucket, key, etag: (head.ETag ?? '').replace(/"/g, ''), size: head.ContentLength ?? size };
}

/** The result record of the artifact at `key` (the pipeline's own key layout). */
const resultKeyOf = (key: string): string => stateKeys.result(parseArtifactKey(key));

async function readResult(pipeline: InProcessPipeline, key: string): Promise<ResultRecord> {
  const found = await pipeline.deps.state.get<ResultRecord>(resultKeyOf(key));
  if (found === undefined) throw new Error(`no result record for ${key}`);
  return found.value;
}

/** Runs the stages in-process for one stored artifact, from its notification to its result record. */
export async function deployInProcess(
  pipeline: InProcessPipeline,
  artifact: StoredArtifact,
): Promise<DeployMeasurement> {
  pipeline.s3Counts.reset();
  const sentBefore = { ...pipeline.queues.sent };
  const started = performance.now();
  const record = buildS3EventRecord({
    bucket: artifact.bucket,
    key: artifact.key,
    size: artifact.size,
    eTag: artifact.etag,
    eventTime: new Date().toISOString(),
  });
  await pipeline.queues.send('ingest', [{ Records: [record] }]);
  const { invocations, dead } = await drainQueues(pipeline.queues, pipeline.handlers);
  const wallMs = performance.now() - started;
  if (dead.length > 0) throw new Error(`messages went to the dead letters: ${JSON.stringify(dead)}`);
  const messages = Object.fromEntries(
    Object.entries(pipeline.queues.sent).map(([queue, count]) => [
      queue,
      count - (sentBefore[queue as keyof typeof sentBefore] ?? 0),
    ]),
  );
  return {
    key: artifact.key,
    wallMs,
    result: await readResult(pipeline, artifact.key),
    s3: pipeline.s3Counts.read(),
    invocations,
    messages,
  };
}

/** Probes attached to a local stack. */
export interface LocalProbes {
  s3Counts: { read(): S3Counts; reset(): void };
  invocations: Invocation[];
}

/**
 * Resolves when local S3 stores `key` in `bucket`: the moment a result record exists, without polling
 * for it (a poll every 50 ms added 25 ms to a deploy on average, and its GETs ran on the stack's loop).
 */
function whenStored(stack: LocalStack, bucket: string, key: string, timeoutMs: number) {
  let stop = () => {};
  const stored = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${key} was not stored within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const unsubscribe = stack.s3.onEvent((event) => {
      const stores = event.Records.some(
        (record) =>
          record.eventName.startsWith('ObjectCreated:') &&
          record.s3.bucket.name === bucket &&
          record.s3.object.key === key,
      );
      if (!stores) return;
      stop();
      resolve();
    });
    stop = () => {
      clearTimeout(timer);
      unsubscribe();
    };
  });
  return { stored, stop };
}

/** Puts a zip through local mode (notification -> SQS -> pollers) and waits for its result record. */
export async function deployThroughLocalMode(
  stack: LocalStack,
  probes: LocalProbes,
  key: string,
  zipPath: string,
): Promise<DeployMeasurement> {
  const resultKey = resultKeyOf(key);
  const result = whenStored(stack, stack.config.stateBucket, resultKey, 300_000);
  let wallMs: number;
  try {
    await putArtifactFile(stack.deps.s3, stack.config.artifactsBucket, key, zipPath);
    // The clock starts once the artifact is in the bucket, as for the in-process run.
    probes.s3Counts.reset();
    probes.invocations.length = 0;
    const started = performance.now();
    await result.stored;
    wallMs = performance.now() - started;
  } finally {
    result.stop();
  }
  const record = await stack.deps.state.get<ResultRecord>(resultKey);
  if (record === undefined) throw new Error(`local S3 stored ${resultKey} but it cannot be read`);
  return {
    key,
    wallMs,
    result: record.value,
    s3: probes.s3Counts.read(),
    invocations: [...probes.invocations],
  };
}
