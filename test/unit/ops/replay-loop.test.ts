import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { QueuePair } from '../../../lib/ops/queue-pair.js';
import { moveSelected } from '../../../lib/ops/replay-loop.js';

const sqsMock = mockClient(SQSClient);
const PAIR: QueuePair = {
  queue: 'finalize',
  url: 'https://sqs.test/1/finalize',
  arn: 'arn:aws:sqs:us-east-1:1:finalize',
  dlqUrl: 'https://sqs.test/1/finalize-dlq',
  dlqArn: 'arn:aws:sqs:us-east-1:1:finalize-dlq',
  maxReceiveCount: 8,
};
const TUNING = { waitTimeSeconds: 0, emptyPassesToStop: 1 };

const message = (id: string, tenant = 'acme', receipt = `rh-${id}`): Message => ({
  MessageId: id,
  ReceiptHandle: receipt,
  Body: JSON.stringify({
    v: 1,
    kind: 'finalize',
    ref: { tenant, script: 'site', build: id },
    sessionId: 'session0001',
    reason: 'completed',
  }),
  MessageAttributes: { origin: { DataType: 'String', StringValue: 'test' } },
});

/** SendMessageBatch accepts the first `count` entries of every batch. */
const sendsSucceed = (count: number) =>
  sqsMock.on(SendMessageBatchCommand).resolves({
    Successful: Array.from({ length: count }, (_, index) => ({
      Id: `m${index}`,
      MessageId: `n${index}`,
      MD5OfMessageBody: '',
    })),
  });

const sentBodies = () =>
  sqsMock
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) => call.args[0].input.Entries?.map((entry) => entry.MessageBody) ?? []);
const deletedHandles = () =>
  sqsMock
    .commandCalls(DeleteMessageBatchCommand)
    .flatMap((call) => call.args[0].input.Entries?.map((entry) => entry.ReceiptHandle) ?? []);
const releasedHandles = () =>
  sqsMock
    .commandCalls(ChangeMessageVisibilityBatchCommand)
    .flatMap((call) => call.args[0].input.Entries?.map((entry) => entry.ReceiptHandle) ?? []);

describe('moveSelected (receive, send, delete)', () => {
  beforeEach(() => {
    sqsMock.reset();
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    sqsMock.on(DeleteMessageBatchCommand).callsFake((input: { Entries: Array<{ Id: string }> }) => ({
      Successful: input.Entries.map((entry) => ({ Id: entry.Id })),
      Failed: [],
    }));
  });

  it('re-sends bodies and attributes untouched, deletes only what was sent, and releases the rest', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('a'), message('b', 'globex'), message('c')] })
      .resolves({ Messages: [] });
    sendsSucceed(2);

    const result = await moveSelected({
      sqs: new SQSClient({}),
      pair: PAIR,
      select: (info) => info.tenant === 'acme',
      tuning: TUNING,
    });

    expect(result).toMatchObject({
      moved: 2,
      skipped: 1,
      failed: 0,
      deleteFailed: 0,
      interrupted: false,
      byTenant: { acme: 2 },
    });
    expect(sentBodies()).toEqual([message('a').Body, message('c').Body]);
    expect(sqsMock).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: PAIR.url,
      Entries: [
        expect.objectContaining({
          MessageAttributes: { origin: { DataType: 'String', StringValue: 'test' } },
        }),
        expect.anything(),
      ],
    });
    expect(deletedHandles()).toEqual(['rh-a', 'rh-c']);
    expect(releasedHandles()).toEqual(['rh-b']);
  });

  it('counts a tenant named constructor as a number (Object.prototype has a constructor too)', async () => {
    // Prepare
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('a', 'constructor'), message('b', 'constructor')] })
      .resolves({ Messages: [] });
    sendsSucceed(2);
    // Act
    const result = await moveSelected({
      sqs: new SQSClient({}),
      pair: PAIR,
      select: () => true,
      tuning: TUNING,
    });
    // Assess
    expect(result.byTenant).toEqual({ constructor: 2 });
  });

  it('leaves a message SQS refused in the DLQ: not deleted, made visible again, counted as failed', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('a'), message('b')] })
      .resolves({ Messages: [] });
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: 'm0', MessageId: 'n0', MD5OfMessageBody: '' }],
      Failed: [{ Id: 'm1', Code: 'InternalError', SenderFault: false }],
    });

    const result = await moveSelected({
      sqs: new SQSClient({}),
      pair: PAIR,
      select: () => true,
      tuning: TUNING,
    });

    expect(result).toMatchObject({ moved: 1, failed: 1, skipped: 0 });
    expect(deletedHandles()).toEqual(['rh-a']);
    expect(releasedHandles()).toEqual(['rh-b']);
  });

  it('stops without deleting anything when a send fails outright', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [message('a'), message('b')] });
    sqsMock.on(SendMessageBatchCommand).rejects(new Error('socket hang up'));

    const result = await moveSelected({
      sqs: new SQSClient({}),
      pair: PAIR,
      select: () => true,
      tuning: TUNING,
    });

    expect(result).toMatchObject({ moved: 0, failed: 2 });
    expect(result.error).toMatch(/SQS SendMessageBatch failed \(Error: socket hang up\)/);
    expect(sqsMock).not.toHaveReceivedCommand(DeleteMessageBatchCommand);
    expect(releasedHandles()).toEqual(['rh-a', 'rh-b']);
  });

  it('deletes a sent message whose delete failed when it comes back, and never sends it twice', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('a')] })
      .resolvesOnce({ Messages: [message('a', 'acme', 'rh-a-2')] })
      .resolves({ Messages: [] });
    sqsMock
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [{ Id: 'm0', MessageId: 'n0', MD5OfMessageBody: '' }] });
    sqsMock
      .on(DeleteMessageBatchCommand)
      .resolvesOnce({ Successful: [], Failed: [{ Id: 'm0', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Successful: [{ Id: 'm0' }], Failed: [] });

    const result = await moveSelected({
      sqs: new SQSClient({}),
      pair: PAIR,
      select: () => true,
      tuning: TUNING,
    });

    expect(result).toMatchObject({ moved: 1, deleteFailed: 0 });
    expect(sentBodies()).toHaveLength(1);
    expect(deletedHandles()).toEqual(['rh-a', 'rh-a-2']);
  });

  it('moves at most the limit and hands the surplus back', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [message('a'), message('b'), message('c')] });
    sendsSucceed(2);

    const result = await moveSelected({
      sqs: new SQSClient({}),
      pair: PAIR,
      select: () => true,
      limit: 2,
      tuning: TUNING,
    });

    expect(result.moved).toBe(2);
    expect(sqsMock).toHaveReceivedCommandWith(ReceiveMessageCommand, {
      MaxNumberOfMessages: 2,
      VisibilityTimeout: 30,
    });
    expect(releasedHandles()).toEqual(['rh-c']);
  });
});
