/**
 * The in-process runner: the real stage handlers (lib/handlers/stage-handlers.ts) driven by in-memory
 * queues instead of SQS, with each stage's concurrency and maxReceiveCount from infra/queues.ts. It
 * measures what the pipeline itself costs, without queue polling; s3rver and the emulator stay real.
 */
import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { STAGE_QUEUES } from '../../infra/queues.js';
import type { QueueName, QueueSender } from '../../lib/pipeline/ports.js';

/** The stages a deploy goes through. */
export type DeployStage = 'ingest' | 'upload' | 'finalize';

/** A handler as the runner calls it (the Lambda context is optional in ours). */
export type StageHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

/** One handler invocation. */
export interface Invocation {
  stage: DeployStage;
  ms: number;
  failed: boolean;
}

interface Message {
  body: string;
  receives: number;
}

/** In-memory queues: a {@link QueueSender} whose messages the runner delivers. */
export interface MemoryQueues extends QueueSender {
  /** Called whenever a message arrives. */
  onMessage?: (() => void) | undefined;
  take(queue: DeployStage): Message | undefined;
  put(queue: DeployStage, message: Message): void;
  size(): number;
  /** Messages sent per queue (for the SQS request count of the cost model). */
  readonly sent: Record<QueueName, number>;
}

/** Creates empty in-memory queues. */
export function createMemoryQueues(): MemoryQueues {
  const queues: Record<DeployStage, Message[]> = { ingest: [], upload: [], finalize: [] };
  const sent: Record<QueueName, number> = { ingest: 0, upload: 0, finalize: 0, teardown: 0 };
  const self: MemoryQueues = {
    async send(queue, bodies) {
      if (queue === 'teardown') throw new Error('the bench runner has no teardown stage');
      sent[queue] += bodies.length;
      for (const body of bodies) queues[queue].push({ body: JSON.stringify(body), receives: 0 });
      self.onMessage?.();
    },
    take: (queue) => queues[queue].shift(),
    put(queue, message) {
      queues[queue].push(message);
      self.onMessage?.();
    },
    size: () => queues.ingest.length + queues.upload.length + queues.finalize.length,
    sent,
  };
  return self;
}

const toRecord = (message: Message, stage: DeployStage): SQSRecord => ({
  messageId: randomUUID(),
  receiptHandle: randomUUID(),
  body: message.body,
  attributes: {
    ApproximateReceiveCount: String(message.receives),
    SentTimestamp: String(Date.now()),
    SenderId: 'bench',
    ApproximateFirstReceiveTimestamp: String(Date.now()),
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:bench-${stage}`,
  awsRegion: 'us-east-1',
});

const STAGES: DeployStage[] = ['ingest', 'upload', 'finalize'];

/**
 * Delivers messages to the handlers until every queue is empty and nothing runs. A failed record comes
 * back after a short pause (SQS would wait its visibility timeout) until its maxReceiveCount, then it
 * is dropped into `dead`.
 */
export function drainQueues(
  queues: MemoryQueues,
  handlers: Record<DeployStage, StageHandler>,
  concurrency: Partial<Record<DeployStage, number>> = {},
): Promise<{ invocations: Invocation[]; dead: Array<{ stage: DeployStage; body: string }> }> {
  const invocations: Invocation[] = [];
  const dead: Array<{ stage: DeployStage; body: string }> = [];
  const active: Record<DeployStage, number> = { ingest: 0, upload: 0, finalize: 0 };
  let retrying = 0;
  return new Promise((resolve, reject) => {
    const idle = () => queues.size() === 0 && retrying === 0 && STAGES.every((stage) => active[stage] === 0);
    const run = async (stage: DeployStage, message: Message) => {
      const started = performance.now();
      let failed: boolean;
      try {
        const result = await handlers[stage]({ Records: [toRecord(message, stage)] });
        failed = (result?.batchItemFailures ?? []).length > 0;
      } catch {
        failed = true;
      }
      invocations.push({ stage, ms: performance.now() - started, failed });
      active[stage] -= 1;
      if (failed && message.receives < STAGE_QUEUES[stage].maxReceiveCount) {
        retrying += 1;
        setTimeout(() => {
          retrying -= 1;
          queues.put(stage, message);
        }, 50 * message.receives);
      } else if (failed) {
        dead.push({ stage, body: message.body });
      }
      schedule();
    };
    const schedule = () => {
      for (const stage of STAGES) {
        const limit = concurrency[stage] ?? STAGE_QUEUES[stage].maximumConcurrency;
        while (active[stage] < limit) {
          const message = queues.take(stage);
          if (message === undefined) break;
          active[stage] += 1;
          message.receives += 1;
          run(stage, message).catch(reject);
        }
      }
      if (idle()) {
        queues.onMessage = undefined;
        resolve({ invocations, dead });
      }
    };
    queues.onMessage = schedule;
    schedule();
  });
}
