/**
 * The SQS primitives the replay tool and `status` share: receive a page of a DLQ, hand messages back
 * (visibility 0), read a queue's depth, and turn a received message into a printable entry (identifiers,
 * age, receive count; never the body).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueueName } from '../pipeline/ports.js';
import { describeMessage, type MessageInfo } from './message-info.js';
import { toSqsError } from './queue-pair.js';

/** SQS's limit for receive and batch calls. */
export const SQS_BATCH_LIMIT = 10;

/** A DLQ message, as the commands show it. */
export interface DlqEntry {
  messageId: string;
  /** When the message was first sent (a standard queue keeps it through the move to the DLQ). */
  sentAt: string | undefined;
  ageMs: number | undefined;
  receiveCount: number;
  info: MessageInfo;
}

export interface ReceiveOptions {
  max: number;
  visibilityTimeoutSeconds: number;
  waitTimeSeconds: number;
  /** Message attributes too (the replay loop re-sends them). */
  withAttributes?: boolean;
}

/** Receives up to `max` messages (at most 10), with their system attributes. */
export async function receivePage(sqs: SQSClient, url: string, options: ReceiveOptions): Promise<Message[]> {
  try {
    const result = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: Math.min(SQS_BATCH_LIMIT, Math.max(1, options.max)),
        VisibilityTimeout: options.visibilityTimeoutSeconds,
        WaitTimeSeconds: options.waitTimeSeconds,
        // Both names: `AttributeNames` is deprecated but is what older servers and stand-ins read.
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        ...(options.withAttributes === true ? { MessageAttributeNames: ['All'] } : {}),
      }),
    );
    return (result.Messages ?? []).filter(
      (message) => message.MessageId !== undefined && message.ReceiptHandle !== undefined,
    );
  } catch (error) {
    throw toSqsError(error, 'ReceiveMessage');
  }
}

/**
 * Makes received messages visible again at once (visibility 0), ten per call. A handle that fails is left
 * alone: its message reappears when its visibility timeout ends, so nothing is lost either way.
 */
export async function releaseMessages(
  sqs: SQSClient,
  url: string,
  receiptHandles: string[],
): Promise<number> {
  let failed = 0;
  for (let i = 0; i < receiptHandles.length; i += SQS_BATCH_LIMIT) {
    const batch = receiptHandles.slice(i, i + SQS_BATCH_LIMIT);
    try {
      const result = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: batch.map((ReceiptHandle, index) => ({
            Id: `m${index}`,
            ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
      failed += result.Failed?.length ?? 0;
    } catch {
      failed += batch.length;
    }
  }
  return failed;
}

/** A queue's approximate depth. */
export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

/** Reads ApproximateNumberOfMessages (and in-flight, delayed) of a queue. */
export async function readQueueDepth(sqs: SQSClient, url: string): Promise<QueueDepth> {
  try {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  } catch (error) {
    throw toSqsError(error, 'GetQueueAttributes');
  }
}

/** The printable entry of a received message. */
export function toDlqEntry(queue: QueueName, message: Message, now: Date): DlqEntry {
  const sent = Number(message.Attributes?.SentTimestamp);
  const sentAt = Number.isFinite(sent) && sent > 0 ? new Date(sent) : undefined;
  return {
    messageId: message.MessageId ?? '',
    sentAt: sentAt?.toISOString(),
    ageMs: sentAt === undefined ? undefined : Math.max(0, now.getTime() - sentAt.getTime()),
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    info: describeMessage(queue, message.Body ?? ''),
  };
}
