import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSqs, SHORT_POLL_INTERVAL_MS, startLocalSqs } from '../../../infra/local/sqs.js';

let sqsServer: LocalSqs;
beforeAll(async () => {
  sqsServer = await startLocalSqs({
    queues: [
      { name: 'poll', maxReceiveCount: 3, visibilityTimeoutSeconds: 1 },
      { name: 'idle', maxReceiveCount: 3, visibilityTimeoutSeconds: 1 },
      { name: 'wake', maxReceiveCount: 9, visibilityTimeoutSeconds: 30 },
    ],
  });
});
afterAll(async () => {
  await sqsServer.close();
});

describe('local SQS stand-in', () => {
  it('answers a long poll as soon as a message arrives, like SQS, and never twice in one response', async () => {
    const client = sqsServer.createClient();
    const url = sqsServer.queues.poll?.url ?? '';
    const started = Date.now();
    const polling = client.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        WaitTimeSeconds: 5,
        MaxNumberOfMessages: 10,
        AttributeNames: ['All'],
      }),
    );
    setTimeout(() => {
      void client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'hello' }));
    }, 200);

    const { Messages } = await polling;
    const elapsed = Date.now() - started;
    client.destroy();

    expect(Messages?.map((message) => message.Body)).toEqual(['hello']);
    expect(elapsed).toBeLessThan(1500);
  });

  it('hands a sent or released message to a waiting long poll at once, not at its next paced poll', async () => {
    // Prepare: a long poll waits on the queue; three times, a message is sent (or released) while it waits.
    const client = sqsServer.createClient();
    const url = sqsServer.queues.wake?.url ?? '';
    const receive = () =>
      client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5, AttributeNames: ['All'] }));
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const delays: number[] = [];

    // Act
    for (const wait of [90, 130, 170]) {
      const polling = receive();
      await pause(wait);
      await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `after ${wait} ms` }));
      const sent = Date.now();
      const { Messages } = await polling;
      delays.push(Date.now() - sent);
      // Released at once (visibility 0): the next long poll is woken by the release, not by a send.
      const handle = Messages?.[0]?.ReceiptHandle ?? '';
      const again = receive();
      await pause(wait);
      await client.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: handle, VisibilityTimeout: 0 }),
      );
      const released = Date.now();
      const { Messages: redelivered } = await again;
      delays.push(Date.now() - released);
      await client.send(
        new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: redelivered?.[0]?.ReceiptHandle ?? '' }),
      );
    }
    client.destroy();

    // Assess: a paced poll would answer up to SHORT_POLL_INTERVAL_MS (250 ms) later, 125 on average.
    expect(Math.max(...delays)).toBeLessThan(80);
  });

  it('paces the short polls of an empty long poll instead of spinning on local-aws-sqs', async () => {
    // Prepare
    const client = sqsServer.createClient();
    const url = sqsServer.queues.idle?.url ?? '';
    const before = sqsServer.shortPolls;

    // Act
    const started = Date.now();
    const { Messages } = await client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    const elapsed = Date.now() - started;
    client.destroy();

    // Assess: one poll per interval at most (a spinning proxy made hundreds in the same second).
    expect(Messages ?? []).toEqual([]);
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(sqsServer.shortPolls - before).toBeLessThanOrEqual(
      Math.ceil(elapsed / SHORT_POLL_INTERVAL_MS) + 1,
    );
  });

  it('creates each queue with a redrive policy to its DLQ', () => {
    const pair = sqsServer.queues.poll;

    expect(pair?.dlqUrl).toMatch(/poll-dlq$/);
    expect(pair?.maxReceiveCount).toBe(3);
  });
});
