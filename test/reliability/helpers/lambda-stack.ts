/**
 * The local stack with Lambda's instance model: each stage gets a pool of function instances (one per
 * unit of the mapping's MaximumConcurrency), each with its own dependencies built by `buildDeps`, hence its
 * own Cloudflare client and concurrency semaphore, exactly as separate Lambda execution environments have.
 * The stack's own pollers share one client, which would make a concurrency-cap check trivially true.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import {
  type EventSourceMapping,
  type InvocationInfo,
  type SqsHandler,
  startEventSourceMapping,
} from '../../../infra/local/event-source.js';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../../infra/local/stack.js';
import { STAGE_NAMES, STAGE_QUEUES } from '../../../infra/queues.js';
import { buildDeps, type FunctionDeps } from '../../../lib/deps.js';
import {
  createFinalizeHandler,
  createIngestHandler,
  createUploadHandler,
} from '../../../lib/handlers/stage-handlers.js';
import { createTeardownHandler } from '../../../lib/handlers/teardown-handler.js';
import type { Logger } from '../../../lib/log.js';
import type { RecordingMetrics } from '../../../lib/metrics.js';
import type { QueueName } from '../../../lib/pipeline/ports.js';

export interface LambdaStackOptions extends Omit<LocalStackOptions, 'pollers' | 'overrides'> {
  log: Logger;
  metrics: RecordingMetrics;
  /** Called with every SQS client the stack and its instances use (to observe what they send). */
  onSqsClient?: (client: SQSClient) => void;
  onInvocation?: (info: InvocationInfo) => void;
  /** Stages whose queues are polled (default all); tests invoke the others' handlers themselves. */
  pollStages?: QueueName[];
  /** Replaces an instance's dependencies (crash injection); `beforeInvoke` runs before each invocation. */
  instrument?: (stage: QueueName, deps: FunctionDeps) => { deps: FunctionDeps; beforeInvoke?: () => void };
}

export interface LambdaStack {
  stack: LocalStack;
  /** One handler per stage, each over its own instance pool (for direct invocation). */
  handlers: Record<QueueName, SqsHandler>;
  /** Function instances per stage (the pool size is the stage's maximumConcurrency). */
  instances: Record<QueueName, FunctionDeps[]>;
  /** The mapping concurrency each stage runs with. */
  concurrency: Record<QueueName, number>;
  close(): Promise<void>;
}

const createHandler = (stage: QueueName, deps: FunctionDeps): SqsHandler => {
  if (stage === 'ingest') return createIngestHandler(deps) as SqsHandler;
  if (stage === 'upload') return createUploadHandler(deps);
  if (stage === 'finalize') return createFinalizeHandler(deps);
  return createTeardownHandler(deps);
};

/** A handler that runs each invocation on an idle instance of the pool, as Lambda does. */
function pooledHandler(stage: QueueName, handlers: SqsHandler[], beforeInvoke?: () => void): SqsHandler {
  const idle = [...handlers];
  return async (event: SQSEvent, context: Context) => {
    const handler = idle.pop();
    if (handler === undefined) throw new Error(`no idle ${stage} instance: the mapping over-invoked`);
    try {
      beforeInvoke?.();
      return await handler(event, context);
    } finally {
      idle.push(handler);
    }
  };
}

/** Starts the stack without its pollers, then one mapping per stage over a pool of instances. */
export async function startLambdaStack(options: LambdaStackOptions): Promise<LambdaStack> {
  const { log, metrics, onSqsClient, onInvocation, instrument, pollStages = STAGE_NAMES, ...local } = options;
  const stack = await startLocalStack({ ...local, pollers: false, overrides: { log, metrics } });
  const mappings: EventSourceMapping[] = [];
  const instances = {} as Record<QueueName, FunctionDeps[]>;
  const concurrency = {} as Record<QueueName, number>;
  const handlers = {} as Record<QueueName, SqsHandler>;
  try {
    onSqsClient?.(stack.deps.sqs);
    const maxReceiveCount = Object.fromEntries(
      STAGE_NAMES.map((stage) => [stage, stack.queues[stage].maxReceiveCount]),
    );
    for (const stage of STAGE_NAMES) {
      const override = options.stages?.[stage] ?? {};
      concurrency[stage] = override.maximumConcurrency ?? STAGE_QUEUES[stage].maximumConcurrency;
      instances[stage] = [];
      let beforeInvoke: (() => void) | undefined;
      for (let i = 0; i < concurrency[stage]; i += 1) {
        const built = await buildDeps(stack.config, `${stage}-${i}`, { log, metrics, maxReceiveCount });
        onSqsClient?.(built.sqs);
        const instrumented = instrument?.(stage, built);
        beforeInvoke = instrumented?.beforeInvoke;
        instances[stage].push(instrumented?.deps ?? built);
      }
      handlers[stage] = pooledHandler(
        stage,
        instances[stage].map((deps) => createHandler(stage, deps)),
        beforeInvoke,
      );
      if (!pollStages.includes(stage)) continue;
      mappings.push(
        startEventSourceMapping({
          sqs: stack.deps.sqs,
          queueUrl: stack.queues[stage].url,
          queueArn: stack.queues[stage].arn,
          functionName: stage,
          handler: handlers[stage],
          batchSize: override.batchSize ?? STAGE_QUEUES[stage].batchSize,
          maximumBatchingWindowMs: STAGE_QUEUES[stage].maximumBatchingWindowSeconds * 1000,
          maxConcurrency: concurrency[stage],
          functionTimeoutMs: STAGE_QUEUES[stage].functionTimeoutSeconds * 1000,
          ...(onInvocation === undefined ? {} : { onInvocation }),
        }),
      );
    }
  } catch (error) {
    await closeAll(mappings, instances, stack);
    throw error;
  }
  return { stack, handlers, instances, concurrency, close: () => closeAll(mappings, instances, stack) };
}

async function closeAll(
  mappings: EventSourceMapping[],
  instances: Partial<Record<QueueName, FunctionDeps[]>>,
  stack: LocalStack,
): Promise<void> {
  await Promise.all(mappings.map((mapping) => mapping.stop()));
  for (const pool of Object.values(instances)) {
    for (const deps of pool ?? []) {
      deps.s3.destroy();
      deps.sqs.destroy();
    }
  }
  await stack.close();
}
