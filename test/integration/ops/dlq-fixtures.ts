/**
 * Fixtures for the replay and status tests: queue pairs on local-aws-sqs, realistic stage bodies, a way
 * to park messages in a DLQ through the real redrive (receive past maxReceiveCount), and a drain.
 */
import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { createQueuePair } from '../../../infra/local/sqs.js';
import type { QueuePair } from '../../../lib/ops/queue-pair.js';
import type { QueueName } from '../../../lib/pipeline/ports.js';
import { createTokenSealer } from '../../../lib/secrets/seal.js';

const sealer = createTokenSealer('fixture-api-token-0123456789');

/** A fresh queue pair (maxReceiveCount 1, so one failed receive parks a message). */
export async function createTestPair(sqs: SQSClient, queue: QueueName): Promise<QueuePair> {
  const pair = await createQueuePair(sqs, {
    name: `${queue}-${randomUUID().slice(0, 8)}`,
    maxReceiveCount: 1,
    visibilityTimeoutSeconds: 30,
  });
  return { queue, ...pair };
}

/** An upload message body with a sealed (fake) JWT, as the ingest stage sends it. */
export const uploadBody = (tenant: string, build: string, bucket = 0): string =>
  JSON.stringify({
    v: 1,
    kind: 'upload',
    ref: { tenant, script: 'site', build },
    sessionId: 'session0001',
    bucket,
    token: sealer.seal('eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2lnbmF0dXJl'),
  });

/** A finalize message body. */
export const finalizeBody = (tenant: string, script: string, build: string): string =>
  JSON.stringify({
    v: 1,
    kind: 'finalize',
    ref: { tenant, script, build },
    sessionId: 'session0001',
    reason: 'completed',
  });

async function depth(sqs: SQSClient, url: string): Promise<{ visible: number; hidden: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    hidden: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
}

/** Sends `bodies` to the source queue and fails them until SQS has moved every one to the DLQ. */
export async function parkInDlq(sqs: SQSClient, pair: QueuePair, bodies: string[]): Promise<void> {
  const before = (await depth(sqs, pair.dlqUrl)).visible;
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: pair.url,
        Entries: bodies.slice(i, i + 10).map((MessageBody, index) => ({
          Id: `e${index}`,
          MessageBody,
          MessageAttributes: { origin: { DataType: 'String', StringValue: 'fixture' } },
        })),
      }),
    );
  }
  const deadline = Date.now() + 10_000;
  while ((await depth(sqs, pair.dlqUrl)).visible < before + bodies.length) {
    if (Date.now() > deadline) throw new Error('messages did not reach the DLQ');
    // A receive that is never deleted is a failure; VisibilityTimeout 0 makes SQS judge it at once.
    await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: pair.url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
    );
  }
}

/** Receives and deletes everything visible in `url`; returns the bodies (with their attributes). */
export async function drain(sqs: SQSClient, url: string): Promise<Array<{ body: string; origin?: string }>> {
  const out: Array<{ body: string; origin?: string }> = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 30,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return out;
    for (const message of Messages) {
      const origin = message.MessageAttributes?.origin?.StringValue;
      out.push({ body: message.Body ?? '', ...(origin === undefined ? {} : { origin }) });
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: Messages.map((message, index) => ({
          Id: `d${index}`,
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
  }
}

/** Visible + in-flight messages of a queue. */
export const countMessages = async (sqs: SQSClient, url: string): Promise<number> => {
  const { visible, hidden } = await depth(sqs, url);
  return visible + hidden;
};

/** Fast settings for the exact local stand-in (short polls, stop at the first empty pass). */
export const FAST_TUNING = {
  scan: { waitTimeSeconds: 0, emptyPassesToStop: 1 },
  loop: { waitTimeSeconds: 0, emptyPassesToStop: 1 },
  moveTask: { pollIntervalMs: 200 },
};
