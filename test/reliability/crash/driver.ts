/**
 * An in-process stand-in for SQS and Lambda around the real handlers, over the pipeline harness (memory
 * state, fake Cloudflare, fake artifacts) with crash injection on every port. Messages are redelivered
 * as SQS would: after the visibility change the batch policy asked for (its backoff or a busy lease's
 * wait), moved to a DLQ after the queue's maxReceiveCount, and the clock jumps ahead when nothing is
 * visible. A crashed message is either redelivered like any failure, or set aside and replayed from the
 * "DLQ" hours later, when every token it carries has expired.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { buildS3EventRecord } from '../../../infra/local/s3-notifications.js';
import { STAGE_QUEUES } from '../../../infra/queues.js';
import {
  createFinalizeHandler,
  createIngestHandler,
  createUploadHandler,
} from '../../../lib/handlers/stage-handlers.js';
import { createTeardownHandler } from '../../../lib/handlers/teardown-handler.js';
import type { QueueName, QueueSender } from '../../../lib/pipeline/ports.js';
import { createHarness, type Harness, type SiteFiles } from '../../helpers/pipeline-harness.js';
import { CrashInjector, wrapCloudflare, wrapPurge, wrapQueues, wrapState } from './ports.js';

export type Recovery = 'redelivered' | 'replayed after its tokens expired';

interface QueuedMessage {
  id: string;
  queue: QueueName;
  body: string;
  receives: number;
  visibleAt: number;
}

/** Replays happen this long after the crash: upload JWTs and completion tokens live one hour. */
export const REPLAY_AFTER_MS = 3 * 3600 * 1000;
const ORDER: QueueName[] = ['ingest', 'upload', 'finalize', 'teardown'];
const MAX_INVOCATIONS = 500;

export class CrashDriver {
  readonly harness: Harness;
  readonly injector = new CrashInjector();
  /** Artifact keys still in the (fake) artifacts bucket, for teardown's purge. */
  readonly artifactKeys = new Set<string>();
  readonly dlq: QueuedMessage[] = [];
  readonly setAside: QueuedMessage[] = [];
  recovery: Recovery = 'redelivered';
  private readonly pending: QueuedMessage[] = [];
  private readonly visibility = new Map<string, number>();
  private readonly handlers: Record<QueueName, (event: SQSEvent) => Promise<SQSBatchResponse | undefined>>;
  private ids = 0;

  constructor(env: Record<string, string> = {}) {
    this.harness = createHarness(env);
    const { deps, store } = this.harness;
    const sender: QueueSender = {
      send: async (queue, bodies, options) => {
        for (const body of bodies) this.enqueue(queue, JSON.stringify(body), options?.delaySeconds ?? 0);
      },
    };
    const sqs = {
      send: async (command: { input: { ReceiptHandle?: string; VisibilityTimeout?: number } }) => {
        const { ReceiptHandle, VisibilityTimeout } = command.input;
        if (ReceiptHandle !== undefined && VisibilityTimeout !== undefined)
          this.visibility.set(ReceiptHandle, VisibilityTimeout);
        return {};
      },
    } as unknown as SQSClient;
    const purge = async (bucket: string, prefix: string): Promise<number> => {
      if (bucket === deps.config.stateBucket) return store.deletePrefix(prefix);
      const gone = [...this.artifactKeys].filter((key) => key.startsWith(prefix));
      for (const key of gone) this.artifactKeys.delete(key);
      return gone.length;
    };
    const handlerDeps = {
      ...deps,
      sqs,
      state: wrapState(store, this.injector),
      queues: wrapQueues(sender, this.injector),
      cloudflare: wrapCloudflare(this.harness.cf, this.injector),
      purge: wrapPurge(purge, this.injector, deps.config.artifactsBucket),
    };
    this.handlers = {
      ingest: createIngestHandler(handlerDeps),
      upload: createUploadHandler(handlerDeps),
      finalize: createFinalizeHandler(handlerDeps),
      teardown: createTeardownHandler(handlerDeps),
    };
  }

  get now(): number {
    return this.harness.clock.now;
  }

  private enqueue(queue: QueueName, body: string, delaySeconds = 0): void {
    this.ids += 1;
    const id = `m${this.ids}`;
    this.pending.push({ id, queue, body, receives: 0, visibleAt: this.now + delaySeconds * 1000 });
  }

  /** Stores an artifact and queues its S3 notification, as the bucket would. */
  upload(key: string, files: SiteFiles): void {
    const event = this.harness.upload(key, files);
    this.artifactKeys.add(key);
    const record = buildS3EventRecord({
      bucket: event.bucket,
      key: event.key,
      size: event.size,
      eTag: event.etag,
      eventTime: event.eventTime,
    });
    this.enqueue('ingest', JSON.stringify({ Records: [record] }));
  }

  /** Queues an account-closure message. */
  closeTenant(tenant: string): void {
    this.enqueue(
      'teardown',
      JSON.stringify({ type: 'tenant.closed', tenant, requestedAt: new Date(this.now).toISOString() }),
    );
  }

  /** Messages not yet done (queued or delayed). */
  get queued(): number {
    return this.pending.length;
  }

  private toRecord(message: QueuedMessage): SQSRecord {
    return {
      messageId: message.id,
      receiptHandle: message.id,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receives),
        SentTimestamp: String(this.now),
        SenderId: 'crash-driver',
        ApproximateFirstReceiveTimestamp: String(this.now),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${message.queue}`,
      awsRegion: 'us-east-1',
    };
  }

  /** Delivers one message to its handler and applies the outcome. */
  private async deliver(message: QueuedMessage): Promise<void> {
    message.receives += 1;
    const crashesBefore = this.injector.crashedAfter;
    this.injector.begin(message.queue);
    const response = await this.handlers[message.queue]({ Records: [this.toRecord(message)] });
    const crashed = this.injector.crashedAfter !== crashesBefore;
    const failed = (response?.batchItemFailures ?? []).some((item) => item.itemIdentifier === message.id);
    if (!failed) return;
    if (crashed && this.recovery === 'replayed after its tokens expired') {
      this.setAside.push(message);
      return;
    }
    if (message.receives >= STAGE_QUEUES[message.queue].maxReceiveCount) {
      this.dlq.push(message);
      return;
    }
    const seconds = this.visibility.get(message.id) ?? 30;
    this.visibility.delete(message.id);
    message.visibleAt = this.now + seconds * 1000;
    this.pending.push(message);
  }

  /** Runs messages (of `only` queues, if given) until none is left, moving the clock over waits. */
  async drain(only: QueueName[] = ORDER): Promise<void> {
    for (let invocations = 0; invocations < MAX_INVOCATIONS; invocations += 1) {
      const candidates = this.pending.filter((message) => only.includes(message.queue));
      if (candidates.length === 0) return;
      const visible = candidates.filter((message) => message.visibleAt <= this.now);
      if (visible.length === 0) {
        this.harness.clock.now = Math.min(...candidates.map((message) => message.visibleAt));
        continue;
      }
      const next = visible.sort((a, b) => ORDER.indexOf(a.queue) - ORDER.indexOf(b.queue))[0];
      if (next === undefined) return;
      this.pending.splice(this.pending.indexOf(next), 1);
      await this.deliver(next);
    }
    throw new Error(`still ${this.pending.length} messages after ${MAX_INVOCATIONS} invocations`);
  }

  /** Drains everything, then replays what was set aside (or parked) hours later, and drains again. */
  async finish(): Promise<void> {
    await this.drain();
    if (this.setAside.length === 0) return;
    this.harness.clock.now += REPLAY_AFTER_MS;
    for (const message of this.setAside.splice(0)) this.enqueue(message.queue, message.body);
    await this.drain();
  }
}
