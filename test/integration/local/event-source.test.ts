import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InvocationInfo, startEventSourceMapping } from '../../../infra/local/event-source.js';
import { type LocalS3, startLocalS3 } from '../../../infra/local/s3.js';
import { bridgeS3Notifications } from '../../../infra/local/s3-notifications.js';
import { type LocalSqs, startLocalSqs } from '../../../infra/local/sqs.js';

let sqsServer: LocalSqs;
let sqs: SQSClient;

beforeAll(async () => {
  sqsServer = await startLocalSqs({
    queues: [
      { name: 'partial', maxReceiveCount: 2, visibilityTimeoutSeconds: 1 },
      { name: 'throws', maxReceiveCount: 1, visibilityTimeoutSeconds: 1 },
      { name: 'busy', maxReceiveCount: 5, visibilityTimeoutSeconds: 30 },
      { name: 'notify', maxReceiveCount: 5, visibilityTimeoutSeconds: 30 },
    ],
  });
  sqs = sqsServer.createClient();
});
afterAll(async () => {
  sqs.destroy();
  await sqsServer.close();
});

const queue = (name: string) => {
  const pair = sqsServer.queues[name];
  if (pair === undefined) throw new Error(`no queue ${name}`);
  return pair;
};

const drain = async (url: string): Promise<string[]> => {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  return (Messages ?? []).map((message) => message.Body ?? '');
};

const waitFor = async (check: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('local event source mapping', () => {
  it('deletes processed records, redelivers reported failures, and dead-letters them after maxReceiveCount', async () => {
    const { url, arn, dlqUrl } = queue('partial');
    for (const body of ['a', 'b', 'bad', 'c'])
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    const seen: string[] = [];
    const mapping = startEventSourceMapping({
      sqs,
      queueUrl: url,
      queueArn: arn,
      functionName: 'partial',
      batchSize: 10,
      maximumBatchingWindowMs: 200,
      handler: async (event: SQSEvent) => {
        seen.push(...event.Records.map((record) => record.body));
        return {
          batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({
            itemIdentifier: r.messageId,
          })),
        };
      },
    });

    await waitFor(() => seen.filter((body) => body === 'bad').length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await mapping.stop();

    expect(seen.filter((body) => body !== 'bad').sort()).toEqual(['a', 'b', 'c']);
    expect(seen.filter((body) => body === 'bad')).toHaveLength(2);
    expect(await drain(url)).toEqual([]);
    expect(await drain(dlqUrl)).toEqual(['bad']);
  });

  it('treats a throw as a whole-batch failure', async () => {
    const { url, arn, dlqUrl } = queue('throws');
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    const outcomes: InvocationInfo[] = [];
    const mapping = startEventSourceMapping({
      sqs,
      queueUrl: url,
      queueArn: arn,
      functionName: 'throws',
      handler: async () => {
        throw new Error('boom');
      },
      onInvocation: (info) => outcomes.push(info),
    });

    await waitFor(() => outcomes.length >= 1);
    await mapping.stop();

    expect(outcomes[0]).toMatchObject({ outcome: 'error', failed: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await drain(url)).toEqual([]);
    expect(await drain(dlqUrl)).toEqual(['x']);
  });

  it('never runs more invocations at once than maxConcurrency', async () => {
    const { url, arn } = queue('busy');
    for (let i = 0; i < 12; i += 1)
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: String(i) }));
    let running = 0;
    let peak = 0;
    let processed = 0;
    const mapping = startEventSourceMapping({
      sqs,
      queueUrl: url,
      queueArn: arn,
      functionName: 'busy',
      batchSize: 1,
      maxConcurrency: 3,
      handler: async (event) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 60));
        running -= 1;
        processed += event.Records.length;
        return { batchItemFailures: [] };
      },
    });

    await waitFor(() => processed === 12);
    await mapping.stop();

    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
  });
});

describe('local S3 notifications', () => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await startLocalS3({ buckets: ['artifacts'] });
  });
  afterAll(async () => {
    await s3.close();
  });

  it('sends a TestEvent, then AWS-format records with form-encoded keys for matching objects only', async () => {
    const { url } = queue('notify');
    const stop = await bridgeS3Notifications({ s3, sqs, queueUrl: url, bucket: 'artifacts', suffix: '.zip' });
    const client = s3.createClient();

    await client.send(
      new PutObjectCommand({ Bucket: 'artifacts', Key: 'acme/site/build 1+x.zip', Body: 'zip' }),
    );
    await client.send(new PutObjectCommand({ Bucket: 'artifacts', Key: 'acme/site/readme.txt', Body: 'no' }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    stop();
    client.destroy();

    const bodies = (await drain(url)).map((body) => JSON.parse(body));
    expect(bodies[0]).toMatchObject({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'artifacts' });
    expect(bodies).toHaveLength(2);
    expect(bodies[1].Records[0]).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: {
        bucket: { name: 'artifacts', arn: 'arn:aws:s3:::artifacts' },
        object: { key: 'acme/site/build+1%2Bx.zip', size: 3 },
      },
    });
  });
});
