import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { resolveQueuePair } from '../../../lib/ops/queue-pair.js';

const sqsMock = mockClient(SQSClient);
const URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/svc-prod-upload';

describe('resolveQueuePair', () => {
  beforeEach(() => {
    sqsMock.reset();
  });

  it('finds the DLQ through the RedrivePolicy and GetQueueUrl, not by naming rule', async () => {
    sqsMock.on(GetQueueAttributesCommand).resolves({
      Attributes: {
        QueueArn: 'arn:aws:sqs:eu-west-1:111122223333:svc-prod-upload',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:444455556666:parked-uploads',
          maxReceiveCount: 8,
        }),
      },
    });
    sqsMock
      .on(GetQueueUrlCommand)
      .resolves({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/444455556666/parked-uploads' });

    const pair = await resolveQueuePair(new SQSClient({}), 'upload', { url: URL });

    expect(pair).toEqual({
      queue: 'upload',
      url: URL,
      arn: 'arn:aws:sqs:eu-west-1:111122223333:svc-prod-upload',
      dlqUrl: 'https://sqs.eu-west-1.amazonaws.com/444455556666/parked-uploads',
      dlqArn: 'arn:aws:sqs:eu-west-1:444455556666:parked-uploads',
      maxReceiveCount: 8,
    });
    expect(sqsMock).toHaveReceivedCommandWith(GetQueueUrlCommand, {
      QueueName: 'parked-uploads',
      QueueOwnerAWSAccountId: '444455556666',
    });
  });

  it('uses a complete stack-file entry as is, without calling SQS', async () => {
    const entry = {
      url: URL,
      arn: 'arn:aws:sqs:x:1:q',
      dlqUrl: `${URL}-dlq`,
      dlqArn: 'arn:aws:sqs:x:1:q-dlq',
      maxReceiveCount: 5,
    };

    const pair = await resolveQueuePair(new SQSClient({}), 'upload', entry);

    expect(pair).toEqual({ queue: 'upload', ...entry });
    expect(sqsMock.calls()).toHaveLength(0);
  });

  it.each([
    ['has no RedrivePolicy', { QueueArn: 'arn:aws:sqs:x:1:q' }, /has no RedrivePolicy, so it has no DLQ/],
    [
      'has an unreadable RedrivePolicy',
      { QueueArn: 'arn:aws:sqs:x:1:q', RedrivePolicy: '{' },
      /RedrivePolicy of the upload queue is not usable/,
    ],
    [
      'points at something that is not a queue',
      {
        QueueArn: 'arn:aws:sqs:x:1:q',
        RedrivePolicy: '{"deadLetterTargetArn":"arn:aws:sns:x:1:t","maxReceiveCount":3}',
      },
      /is not an SQS queue ARN/,
    ],
  ])('explains a queue that %s', async (_, attributes, message) => {
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: attributes });

    await expect(resolveQueuePair(new SQSClient({}), 'upload', { url: URL })).rejects.toMatchObject({
      code: 'config.invalid',
      message: expect.stringMatching(message),
    });
  });

  it('reports a missing queue as a configuration error and other SQS failures as sqs.unavailable', async () => {
    sqsMock
      .on(GetQueueAttributesCommand)
      .rejectsOnce(new QueueDoesNotExist({ message: 'gone', $metadata: {} }))
      .rejects(new Error('throttled'));

    await expect(resolveQueuePair(new SQSClient({}), 'upload', { url: URL })).rejects.toMatchObject({
      code: 'config.invalid',
    });
    await expect(resolveQueuePair(new SQSClient({}), 'upload', { url: URL })).rejects.toMatchObject({
      code: 'sqs.unavailable',
      message: expect.stringContaining('throttled'),
    });
  });
});
