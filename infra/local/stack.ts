/**
 * The whole platform on 127.0.0.1, built from the same handlers and `lib/` code that run in Lambda:
 * s3rver (buckets), local-aws-sqs (queues + DLQs), the Workers for Platforms emulator (or a real
 * Cloudflare account), S3 -> SQS notifications in AWS's format, and Lambda-style event source mappings
 * that invoke the real handlers. Used by `npm start`, the integration tests and the benchmarks.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Config, readConfig } from '../../lib/config.js';
import { buildDeps, type DepsOverrides, type FunctionDeps } from '../../lib/deps.js';
import {
  createFinalizeHandler,
  createIngestHandler,
  createUploadHandler,
} from '../../lib/handlers/stage-handlers.js';
import { createTeardownHandler } from '../../lib/handlers/teardown-handler.js';
import { createRecordingMetrics } from '../../lib/metrics.js';
import type { QueueName } from '../../lib/pipeline/ports.js';
import { STAGE_NAMES, STAGE_QUEUES } from '../queues.js';
import {
  type CloudflareEmulator,
  type CloudflareEmulatorOptions,
  startCloudflareEmulator,
} from './cloudflare/index.js';
import {
  type EventSourceMapping,
  type InvocationInfo,
  type SqsHandler,
  startEventSourceMapping,
} from './event-source.js';
import { type LocalS3, startLocalS3 } from './s3.js';
import { bridgeS3Notifications } from './s3-notifications.js';
import { type LocalSqs, type QueuePair, startLocalSqs } from './sqs.js';

export const LOCAL_ARTIFACTS_BUCKET = 'workers-drop-artifacts';
export const LOCAL_STATE_BUCKET = 'workers-drop-state';
export const LOCAL_NAMESPACE = 'workers-drop-local';

/** A real Cloudflare account instead of the emulator. */
export interface RemoteCloudflare {
  apiToken: string;
  accountId: string;
  namespace: string;
  baseUrl?: string;
}

/** Per-stage overrides of the local queues and mappings (tests shorten timeouts to see retries fast). */
export interface LocalStageOverrides {
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  maximumConcurrency?: number;
  batchSize?: number;
}

export interface LocalStackOptions {
  /** Where buckets (and the emulator's deployed scripts) persist; a temp dir when absent. */
  dataDir?: string;
  s3Port?: number;
  sqsPort?: number;
  cloudflarePort?: number;
  /** Use a real account instead of the emulator. */
  remote?: RemoteCloudflare;
  emulator?: CloudflareEmulatorOptions;
  /** Extra configuration (the same variables as Lambda's environment). */
  env?: Record<string, string>;
  stages?: Partial<Record<QueueName, LocalStageOverrides>>;
  /** Do not start the event source mappings (tests that drive handlers themselves). */
  pollers?: boolean;
  overrides?: DepsOverrides;
  onInvocation?: (info: InvocationInfo) => void;
}

export interface LocalStack {
  config: Readonly<Config>;
  deps: FunctionDeps;
  s3: LocalS3;
  sqs: LocalSqs;
  emulator: CloudflareEmulator | undefined;
  queues: Record<QueueName, QueuePair>;
  handlers: Record<QueueName, SqsHandler>;
  /** Describes the stack for the CLIs (written to `.local/stack.json` by local mode). */
  describe(): Record<string, unknown>;
  close(): Promise<void>;
}

/** Local defaults: minutes-long Lambda visibility timeouts would make a retry on a laptop feel hung. */
const LOCAL_VISIBILITY_SECONDS: Record<QueueName, number> = {
  ingest: 120,
  upload: 60,
  finalize: 30,
  teardown: 60,
};

/** Starts the stand-ins, wires notifications and (unless disabled) the pollers. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    const s3 = await startLocalS3({
      buckets: [LOCAL_ARTIFACTS_BUCKET, LOCAL_STATE_BUCKET],
      ...(options.dataDir === undefined ? {} : { directory: join(options.dataDir, 's3') }),
      ...(options.s3Port === undefined ? {} : { port: options.s3Port }),
    });
    started.push(s3);
    const specs = STAGE_NAMES.map((stage) => {
      const override = options.stages?.[stage] ?? {};
      return {
        name: stage,
        maxReceiveCount: override.maxReceiveCount ?? STAGE_QUEUES[stage].maxReceiveCount,
        visibilityTimeoutSeconds: override.visibilityTimeoutSeconds ?? LOCAL_VISIBILITY_SECONDS[stage],
      };
    });
    const sqs = await startLocalSqs({
      queues: specs,
      ...(options.sqsPort === undefined ? {} : { port: options.sqsPort }),
    });
    started.push(sqs);
    let emulator: CloudflareEmulator | undefined;
    if (options.remote === undefined) {
      emulator = await startCloudflareEmulator({
        namespaces: [LOCAL_NAMESPACE],
        ...(options.dataDir === undefined ? {} : { dataDir: join(options.dataDir, 'cloudflare') }),
        ...(options.cloudflarePort === undefined ? {} : { port: options.cloudflarePort }),
        ...options.emulator,
      });
      started.push(emulator);
    }
    const queues = Object.fromEntries(STAGE_NAMES.map((stage) => [stage, sqs.queues[stage]])) as Record<
      QueueName,
      QueuePair
    >;
    const cloudflare = options.remote ?? {
      apiToken: emulator?.apiToken ?? '',
      accountId: emulator?.accountId ?? '',
      namespace: options.emulator?.namespaces?.[0] ?? LOCAL_NAMESPACE,
      baseUrl: emulator?.url,
    };
    const config = readConfig({
      ARTIFACTS_BUCKET: LOCAL_ARTIFACTS_BUCKET,
      STATE_BUCKET: LOCAL_STATE_BUCKET,
      INGEST_QUEUE_URL: queues.ingest.url,
      UPLOAD_QUEUE_URL: queues.upload.url,
      FINALIZE_QUEUE_URL: queues.finalize.url,
      TEARDOWN_QUEUE_URL: queues.teardown.url,
      S3_ENDPOINT: s3.endpoint,
      SQS_ENDPOINT: sqs.endpoint,
      CLOUDFLARE_ACCOUNT_ID: cloudflare.accountId,
      DISPATCH_NAMESPACE: cloudflare.namespace,
      CLOUDFLARE_API_TOKEN: cloudflare.apiToken,
      ...(cloudflare.baseUrl === undefined ? {} : { CLOUDFLARE_API_BASE_URL: cloudflare.baseUrl }),
      STAGE: 'local',
      TEARDOWN_SWEEP_DELAY_SECONDS: '30',
      ...options.env,
    });
    // Local mode shows its own progress; EMF metric lines would only clutter the terminal.
    const maxReceiveCount = Object.fromEntries(specs.map((spec) => [spec.name, spec.maxReceiveCount]));
    const deps = await buildDeps(config, 'local', {
      metrics: createRecordingMetrics(),
      maxReceiveCount,
      ...options.overrides,
    });
    started.push({ close: async () => deps.s3.destroy() });
    started.push({ close: async () => deps.sqs.destroy() });
    const handlers: Record<QueueName, SqsHandler> = {
      ingest: createIngestHandler(deps) as SqsHandler,
      upload: createUploadHandler(deps),
      finalize: createFinalizeHandler(deps),
      teardown: createTeardownHandler(deps),
    };
    const stopBridge = await bridgeS3Notifications({
      s3,
      sqs: deps.sqs,
      queueUrl: queues.ingest.url,
      bucket: LOCAL_ARTIFACTS_BUCKET,
      suffix: '.zip',
      ...(config.keyPrefix === '' ? {} : { prefix: config.keyPrefix }),
    });
    started.push({ close: async () => stopBridge() });
    const mappings: EventSourceMapping[] = [];
    if (options.pollers !== false) {
      for (const stage of STAGE_NAMES) {
        const spec = STAGE_QUEUES[stage];
        const override = options.stages?.[stage] ?? {};
        mappings.push(
          startEventSourceMapping({
            sqs: deps.sqs,
            queueUrl: queues[stage].url,
            queueArn: queues[stage].arn,
            functionName: stage,
            handler: handlers[stage],
            batchSize: override.batchSize ?? spec.batchSize,
            maximumBatchingWindowMs: spec.maximumBatchingWindowSeconds * 1000,
            maxConcurrency: override.maximumConcurrency ?? spec.maximumConcurrency,
            functionTimeoutMs: spec.functionTimeoutSeconds * 1000,
            ...(options.onInvocation === undefined ? {} : { onInvocation: options.onInvocation }),
          }),
        );
      }
    }
    started.push({
      close: () => Promise.all(mappings.map((mapping) => mapping.stop())).then(() => undefined),
    });
    return {
      config,
      deps,
      s3,
      sqs,
      emulator,
      queues,
      handlers,
      describe: () => ({
        s3Endpoint: s3.endpoint,
        sqsEndpoint: sqs.endpoint,
        cloudflareUrl: cloudflare.baseUrl ?? 'https://api.cloudflare.com/client/v4',
        namespace: cloudflare.namespace,
        region: config.region,
        artifactsBucket: LOCAL_ARTIFACTS_BUCKET,
        stateBucket: LOCAL_STATE_BUCKET,
        queues,
      }),
      close: () => closeAll(started),
    };
  } catch (error) {
    await closeAll(started);
    throw error;
  }
}

/** Closes in reverse start order; every piece is closed even when one fails. */
async function closeAll(started: Array<{ close(): Promise<void> }>): Promise<void> {
  const failures: unknown[] = [];
  for (const piece of started.reverse()) {
    try {
      await piece.close();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}

/** Writes `.local/stack.json` (endpoints and queues, no credentials) for the CLIs. */
export async function writeStackFile(directory: string, stack: LocalStack): Promise<string> {
  await mkdir(directory, { recursive: true });
  const path = join(directory, 'stack.json');
  await writeFile(path, `${JSON.stringify(stack.describe(), null, 2)}\n`);
  return path;
}
