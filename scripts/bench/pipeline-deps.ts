/**
 * Dependencies of a benchmark run of our pipeline: the production `buildDeps` pointed at the stand-ins,
 * with the bench's probe attached (an S3 counting middleware), and the handlers built over
 * in-memory queues for the in-process runner.
 */
import { type Config, readConfig } from '../../lib/config.js';
import { buildDeps, type FunctionDeps } from '../../lib/deps.js';
import {
  createFinalizeHandler,
  createIngestHandler,
  createUploadHandler,
} from '../../lib/handlers/stage-handlers.js';
import { createRecordingMetrics } from '../../lib/metrics.js';
import { createMemoryQueues, type DeployStage, type MemoryQueues, type StageHandler } from './in-process.js';
import { benchLogger, countS3 } from './probes.js';
import type { CloudflareTarget } from './stand-ins.js';

/** The buckets of infra/local/stack.ts (not imported: it would load s3rver and SQS into the measured process). */
export const BENCH_ARTIFACTS_BUCKET = 'workers-drop-artifacts';
export const BENCH_STATE_BUCKET = 'workers-drop-state';

/** Queue URLs are never called in-process (failures do not change visibility); loopback discard port. */
const UNUSED_QUEUE = 'http://127.0.0.1:9/bench';

/** The configuration of a run against the stand-ins. */
export function readBenchConfig(s3Endpoint: string, cloudflare: CloudflareTarget): Readonly<Config> {
  return readConfig({
    ARTIFACTS_BUCKET: BENCH_ARTIFACTS_BUCKET,
    STATE_BUCKET: BENCH_STATE_BUCKET,
    INGEST_QUEUE_URL: `${UNUSED_QUEUE}-ingest`,
    UPLOAD_QUEUE_URL: `${UNUSED_QUEUE}-upload`,
    FINALIZE_QUEUE_URL: `${UNUSED_QUEUE}-finalize`,
    TEARDOWN_QUEUE_URL: `${UNUSED_QUEUE}-teardown`,
    S3_ENDPOINT: s3Endpoint,
    SQS_ENDPOINT: 'http://127.0.0.1:9',
    CLOUDFLARE_ACCOUNT_ID: cloudflare.accountId,
    DISPATCH_NAMESPACE: cloudflare.namespace,
    CLOUDFLARE_API_TOKEN: cloudflare.apiToken,
    CLOUDFLARE_API_BASE_URL: cloudflare.url,
    STAGE: 'bench',
  });
}

/** Everything the in-process runner needs, with its probes. */
export interface InProcessPipeline {
  deps: FunctionDeps;
  queues: MemoryQueues;
  handlers: Record<DeployStage, StageHandler>;
  s3Counts: ReturnType<typeof countS3>;
  close(): void;
}

/** Builds the production dependencies, probes and handlers over in-memory queues. */
export async function buildInProcessPipeline(
  s3Endpoint: string,
  cloudflare: CloudflareTarget,
): Promise<InProcessPipeline> {
  const deps = await buildDeps(readBenchConfig(s3Endpoint, cloudflare), 'bench', {
    log: benchLogger,
    metrics: createRecordingMetrics(),
  });
  const s3Counts = countS3(deps.s3, deps.config.artifactsBucket);
  const queues = createMemoryQueues();
  // Without an SQS client a failed record is simply handed back to the runner (no visibility change).
  const { sqs, ...rest } = deps;
  sqs.destroy();
  const stageDeps = { ...rest, queues };
  return {
    deps,
    queues,
    handlers: {
      ingest: createIngestHandler(stageDeps) as StageHandler,
      upload: createUploadHandler(stageDeps),
      finalize: createFinalizeHandler(stageDeps),
    },
    s3Counts,
    close: () => deps.s3.destroy(),
  };
}
