import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSqs, startLocalSqs } from '../../../infra/local/sqs.js';

let sqsServer: LocalSqs;
beforeAll(async () => {
  sqsServer = await startLocalSqs({
    queues: [{ name: 'poll', maxReceiveCount: 3, visibilityTimeoutSeconds: 1 }],
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

  it('creates each queue with a redrive policy to its DLQ', () => {
    const pair = sqsServer.queues.poll;

    expect(pair?.dlqUrl).toMatch(/poll-dlq$/);
    expect(pair?.maxReceiveCount).toBe(3);
  });
});
