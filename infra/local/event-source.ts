/**
 * A local stand-in for Lambda's SQS event source mapping: polls a queue and invokes a handler with real
 * `SQSEvent` batches, with Lambda's semantics:
 * - up to `batchSize` records, gathered for at most `maximumBatchingWindowMs`;
 * - at most `maxConcurrency` invocations at once (the mapping's `ScalingConfig.MaximumConcurrency`);
 * - `ReportBatchItemFailures`: listed records stay on the queue, the rest are deleted; an unknown or empty
 *   `itemIdentifier`, a throw, or a timeout fails the whole batch;
 * - failed records are not deleted: they come back after the visibility timeout and, after
 *   `maxReceiveCount` receives, SQS moves them to the DLQ.
 */
import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

/** A Lambda SQS handler. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface EventSourceMappingOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  functionName: string;
  handler: SqsHandler;
  batchSize?: number;
  maximumBatchingWindowMs?: number;
  maxConcurrency?: number;
  /** The function timeout: an invocation still running after it counts as failed. */
  functionTimeoutMs?: number;
  /** Called after each invocation (for progress displays and tests). */
  onInvocation?: (info: InvocationInfo) => void;
}

export interface InvocationInfo {
  functionName: string;
  records: number;
  failed: number;
  outcome: 'ok' | 'partial' | 'error' | 'timeout';
  durationMs: number;
  error?: unknown;
}

export interface EventSourceMapping {
  /** Stops polling and waits for running invocations to finish. */
  stop(): Promise<void>;
  /** Invocations currently running. */
  readonly inFlight: number;
}

const toLambdaAttributes = (
  attributes: Record<string, MessageAttributeValue> | undefined,
): SQSMessageAttributes => {
  const out: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    out[name] = {
      dataType: value.DataType ?? 'String',
      stringListValues: [],
      binaryListValues: [],
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined
        ? {}
        : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
    };
  }
  return out;
};

/** Converts a received message into the record shape Lambda delivers. */
export function toSqsRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: toLambdaAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? 'us-east-1',
  };
}

function createContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts polling `queueUrl` and invoking `handler`; returns a handle to stop it. */
export function startEventSourceMapping(options: EventSourceMappingOptions): EventSourceMapping {
  const batchSize = options.batchSize ?? 10;
  const windowMs = options.maximumBatchingWindowMs ?? 0;
  const timeoutMs = options.functionTimeoutMs ?? 60_000;
  let running = true;
  let inFlight = 0;
  const abort = new AbortController();

  const receive = async (max: number, waitSeconds: number): Promise<Message[]> => {
    const { Messages } = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: abort.signal },
    );
    return Messages ?? [];
  };

  const gather = async (): Promise<Message[]> => {
    const batch = await receive(batchSize, 1);
    const deadline = Date.now() + windowMs;
    while (running && batch.length > 0 && batch.length < batchSize && Date.now() < deadline) {
      const more = await receive(batchSize - batch.length, 0);
      if (more.length === 0) await sleep(Math.min(50, deadline - Date.now()));
      batch.push(...more);
    }
    return batch;
  };

  const settle = async (messages: Message[], failedIds: Set<string>): Promise<void> => {
    const done = messages.filter((message) => !failedIds.has(message.MessageId ?? ''));
    for (let i = 0; i < done.length; i += 10) {
      await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: done.slice(i, i + 10).map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle ?? '',
          })),
        }),
      );
    }
  };

  const invoke = async (messages: Message[]): Promise<void> => {
    const started = Date.now();
    const records = messages.map((message) => toSqsRecord(message, options.queueArn));
    const ids = new Set(records.map((record) => record.messageId));
    let outcome: InvocationInfo['outcome'] = 'ok';
    let failed = new Set<string>();
    let error: unknown;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const result = await Promise.race([
        options.handler({ Records: records }, createContext(options.functionName, timeoutMs)),
        timeout,
      ]);
      if (result === 'timeout') {
        outcome = 'timeout';
        failed = ids;
      } else {
        const reported = result?.batchItemFailures ?? [];
        const valid = reported.every((item) => ids.has(item.itemIdentifier));
        failed = valid ? new Set(reported.map((item) => item.itemIdentifier)) : ids;
        if (failed.size > 0) outcome = valid ? 'partial' : 'error';
      }
    } catch (thrown) {
      outcome = 'error';
      error = thrown;
      failed = ids;
    } finally {
      clearTimeout(timer);
    }
    await settle(messages, failed);
    options.onInvocation?.({
      functionName: options.functionName,
      records: records.length,
      failed: failed.size,
      outcome,
      durationMs: Date.now() - started,
      ...(error === undefined ? {} : { error }),
    });
  };

  const loop = async (): Promise<void> => {
    while (running) {
      try {
        const messages = await gather();
        if (messages.length === 0) continue;
        inFlight += 1;
        try {
          await invoke(messages);
        } finally {
          inFlight -= 1;
        }
      } catch {
        if (!running) return;
        await sleep(200); // SQS unreachable for a moment: back off like the Lambda poller does
      }
    }
  };

  const loops = Array.from({ length: options.maxConcurrency ?? 2 }, () => loop());
  return {
    get inFlight() {
      return inFlight;
    },
    async stop() {
      running = false;
      abort.abort();
      await Promise.all(loops);
    },
  };
}
