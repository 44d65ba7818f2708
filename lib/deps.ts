/**
 * The dependencies of every function, built once per cold start (Lambda) or once per local stack. The same
 * code runs in Lambda, in tests and in local mode; only endpoints and credentials differ.
 */
import { randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STAGE_QUEUES } from '../infra/queues.js';
import { readArtifact } from './artifacts/read-artifact.js';
import { readEntries, readEntryBuffers } from './artifacts/read-entries.js';
import { headS3Object, openS3Source } from './artifacts/sources/s3-source.js';
import { createCloudflareClient } from './cloudflare/index.js';
import type { CloudflareApi } from './cloudflare/types.js';
import { artifactReadOptions, type Config } from './config.js';
import type { StageHandlerDeps } from './handlers/stage-handlers.js';
import type { TeardownHandlerDeps } from './handlers/teardown-handler.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics, type FlushableMetrics } from './metrics.js';
import { createFailureNotes } from './ops/failure-notes.js';
import type { ArtifactStore } from './pipeline/ports.js';
import type { ArtifactPointer } from './pipeline/records.js';
import { createQueueSender } from './queues/sender.js';
import { loadApiToken } from './secrets/api-token.js';
import { createTokenSealer } from './secrets/seal.js';
import { createJsonStore } from './state/json-store.js';
import { purgePrefix } from './teardown/purge.js';

/** Everything any function needs. */
export type FunctionDeps = StageHandlerDeps & TeardownHandlerDeps & { s3: S3Client; sqs: SQSClient };

/** Replacements for tests and local mode. */
export interface DepsOverrides {
  log?: Logger;
  metrics?: FlushableMetrics;
  /** A Cloudflare client to use instead of building one (tests). */
  cloudflare?: CloudflareApi;
  /** Passed to the Cloudflare SDK (tests). */
  fetch?: typeof fetch;
  now?: () => Date;
  /** The queues' maxReceiveCount, when it differs from infra/queues.ts (local stacks in tests). */
  maxReceiveCount?: Partial<Record<'ingest' | 'upload' | 'finalize' | 'teardown', number>>;
}

/** Credentials for loopback stand-ins: s3rver's fixed pair (local SQS checks none). */
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

const isLocal = (endpoint: string | undefined) =>
  endpoint !== undefined && /^https?:\/\/(127\.0\.0\.1|localhost)(:|\/|$)/.test(endpoint);

/**
 * How long an S3 connection may stay silent (no byte either way) before the request fails as
 * `s3.unavailable`: a stalled GET body then ends in a retryable error within a minute instead of holding
 * the invocation until the Lambda timeout. Longer than any pause a healthy reader makes (an upload's
 * read waits on Cloudflare taking the body, whose own attempt deadline is separate).
 */
export const S3_IDLE_TIMEOUT_MS = 60_000;
/** How long connecting to S3 may take. */
export const S3_CONNECT_TIMEOUT_MS = 10_000;

/** The pipeline's S3 client: the region, an optional stand-in endpoint, and the deadlines above. */
export function createS3(
  config: Readonly<Pick<Config, 'region' | 's3Endpoint'>>,
  timeouts: { idleMs?: number; connectMs?: number } = {},
): S3Client {
  const requestHandler = {
    socketTimeout: timeouts.idleMs ?? S3_IDLE_TIMEOUT_MS,
    connectionTimeout: timeouts.connectMs ?? S3_CONNECT_TIMEOUT_MS,
  };
  if (config.s3Endpoint === undefined) return new S3Client({ region: config.region, requestHandler });
  return new S3Client({
    region: config.region,
    requestHandler,
    endpoint: config.s3Endpoint,
    forcePathStyle: true,
    // s3rver stores aws-chunked checksum frames verbatim; only ask for checksums S3 requires.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(isLocal(config.s3Endpoint) ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
}

function createSqs(config: Readonly<Config>): SQSClient {
  if (config.sqsEndpoint === undefined) return new SQSClient({ region: config.region });
  return new SQSClient({
    region: config.region,
    endpoint: config.sqsEndpoint,
    ...(isLocal(config.sqsEndpoint) ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
}

const pin = (pointer: ArtifactPointer) => ({
  bucket: pointer.bucket,
  key: pointer.key,
  etag: pointer.etag,
  ...(pointer.versionId === undefined ? {} : { versionId: pointer.versionId }),
});

/** The artifacts bucket seen through the artifact reader, pinned to each event's version/ETag. */
export function createArtifactStore(s3: S3Client, config: Readonly<Config>): ArtifactStore {
  return {
    head: (pointer) => headS3Object(s3, pin(pointer)),
    open: (pointer) => openS3Source(s3, pin(pointer), pointer.size),
    read: (source, tenant) =>
      readArtifact(source, {
        tenant,
        ...artifactReadOptions(config.limits),
      }),
    readEntries: (source, locations) => readEntryBuffers(source, locations),
    streamEntries: (source, locations, signal) =>
      readEntries(source, locations, signal === undefined ? {} : { signal }),
  };
}

/** A fresh upload-session id: 20 lower-case hex characters. */
export const newSessionId = (): string => randomBytes(10).toString('hex');

/** Builds every dependency; reads the API token (SSM in Lambda) once. */
export async function buildDeps(
  config: Readonly<Config>,
  functionName: string,
  overrides: DepsOverrides = {},
): Promise<FunctionDeps> {
  const log =
    overrides.log ?? createLogger({ service: config.serviceName, functionName, level: config.logLevel });
  const metrics =
    overrides.metrics ??
    createMetrics({ namespace: config.serviceName, service: config.serviceName, functionName });
  const s3 = createS3(config);
  const sqs = createSqs(config);
  const apiToken = await loadApiToken(config, () => new SSMClient({ region: config.region }));
  const cloudflare =
    overrides.cloudflare ??
    createCloudflareClient({
      apiToken,
      accountId: config.cloudflare.accountId,
      ...(config.cloudflare.baseUrl === undefined ? {} : { baseURL: config.cloudflare.baseUrl }),
      ...(overrides.fetch === undefined ? {} : { fetch: overrides.fetch }),
      log,
      attemptTimeoutMs: config.cloudflare.attemptTimeoutMs,
      uploadAttemptTimeoutMs: config.cloudflare.uploadAttemptTimeoutMs,
      retries: config.cloudflare.retries,
      maxConcurrentRequests: config.cloudflare.maxConcurrentRequests,
      // A longer Retry-After is handed back to SQS (the message's visibility), not slept inside Lambda.
      retryAfterCapMs: 10_000,
      onRetry: (info) =>
        metrics.count('CloudflareRetries', 1, {
          status: String(info.status ?? info.code),
          operation: info.operation,
        }),
    });
  const state = createJsonStore(s3, config.stateBucket);
  const now = overrides.now ?? (() => new Date());
  const maxReceiveCount = {
    ingest: overrides.maxReceiveCount?.ingest ?? STAGE_QUEUES.ingest.maxReceiveCount,
    upload: overrides.maxReceiveCount?.upload ?? STAGE_QUEUES.upload.maxReceiveCount,
    finalize: overrides.maxReceiveCount?.finalize ?? STAGE_QUEUES.finalize.maxReceiveCount,
    teardown: overrides.maxReceiveCount?.teardown ?? STAGE_QUEUES.teardown.maxReceiveCount,
  };
  return {
    config,
    s3,
    sqs,
    state,
    finalFailures: createFailureNotes({ state, now, maxReceiveCount }),
    artifacts: createArtifactStore(s3, config),
    cloudflare,
    queues: createQueueSender(sqs, config.queues),
    sealer: createTokenSealer(apiToken),
    purge: (bucket, prefix) => purgePrefix(s3, bucket, prefix),
    log,
    metrics,
    now,
    newSessionId,
  };
}
