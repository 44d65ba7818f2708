import {
  CancelMessageMoveTaskCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { runMoveTask } from '../../../lib/ops/move-task.js';
import type { QueuePair } from '../../../lib/ops/queue-pair.js';

const sqsMock = mockClient(SQSClient);
const PAIR: QueuePair = {
  queue: 'upload',
  url: 'https://sqs.test/1/upload',
  arn: 'arn:aws:sqs:us-east-1:1:upload',
  dlqUrl: 'https://sqs.test/1/upload-dlq',
  dlqArn: 'arn:aws:sqs:us-east-1:1:upload-dlq',
  maxReceiveCount: 8,
};

const depth = (visible: number) =>
  sqsMock.on(GetQueueAttributesCommand).resolves({
    Attributes: { ApproximateNumberOfMessages: String(visible), ApproximateNumberOfMessagesNotVisible: '0' },
  });

describe('runMoveTask', () => {
  beforeEach(() => {
    sqsMock.reset();
  });

  it('starts a task from the DLQ to its source and polls until it completes', async () => {
    depth(3);
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'h1' });
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [] })
      .resolvesOnce({
        Results: [
          {
            TaskHandle: 'h1',
            Status: 'RUNNING',
            ApproximateNumberOfMessagesMoved: 1,
            ApproximateNumberOfMessagesToMove: 3,
          },
        ],
      })
      .resolves({
        Results: [
          { Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3 },
        ],
      });
    const seen: number[] = [];

    const result = await runMoveTask({
      sqs: new SQSClient({}),
      pair: PAIR,
      pollIntervalMs: 0,
      onProgress: (p) => seen.push(p.moved),
    });

    expect(result).toEqual({
      status: 'COMPLETED',
      moved: 3,
      toMove: 3,
      joinedRunningTask: false,
      cancelled: false,
    });
    expect(seen).toEqual([1, 3]);
    expect(sqsMock).toHaveReceivedCommandWith(StartMessageMoveTaskCommand, {
      SourceArn: PAIR.dlqArn,
      DestinationArn: PAIR.arn,
    });
  });

  it('follows a task that is already running instead of starting a second one', async () => {
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [{ TaskHandle: 'other', Status: 'RUNNING' }] })
      .resolves({
        Results: [
          { Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 9, ApproximateNumberOfMessagesToMove: 9 },
        ],
      });

    const result = await runMoveTask({ sqs: new SQSClient({}), pair: PAIR, pollIntervalMs: 0 });

    expect(result).toMatchObject({ status: 'COMPLETED', moved: 9, joinedRunningTask: true });
    expect(sqsMock).not.toHaveReceivedCommand(StartMessageMoveTaskCommand);
  });

  it('reports a failed task with its reason', async () => {
    depth(2);
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'h1' });
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [] })
      .resolves({
        Results: [
          {
            Status: 'FAILED',
            FailureReason: 'AWS.SimpleQueueService.NonExistentQueue',
            ApproximateNumberOfMessagesMoved: 1,
          },
        ],
      });

    const result = await runMoveTask({ sqs: new SQSClient({}), pair: PAIR, pollIntervalMs: 0 });

    expect(result).toMatchObject({
      status: 'FAILED',
      moved: 1,
      failureReason: 'AWS.SimpleQueueService.NonExistentQueue',
    });
  });

  it('starts nothing when the DLQ is empty', async () => {
    depth(0);
    sqsMock.on(ListMessageMoveTasksCommand).resolves({ Results: [{ Status: 'COMPLETED' }] });

    const result = await runMoveTask({ sqs: new SQSClient({}), pair: PAIR, pollIntervalMs: 0 });

    expect(result.status).toBe('NOTHING_TO_MOVE');
    expect(sqsMock).not.toHaveReceivedCommand(StartMessageMoveTaskCommand);
  });

  it('cancels its task when interrupted and waits until SQS confirms', async () => {
    depth(100);
    const controller = new AbortController();
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'h1' });
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [] })
      .resolvesOnce({
        Results: [
          {
            TaskHandle: 'h1',
            Status: 'RUNNING',
            ApproximateNumberOfMessagesMoved: 10,
            ApproximateNumberOfMessagesToMove: 100,
          },
        ],
      })
      .resolvesOnce({ Results: [{ Status: 'CANCELLING', ApproximateNumberOfMessagesMoved: 12 }] })
      .resolves({
        Results: [
          {
            Status: 'CANCELLED',
            ApproximateNumberOfMessagesMoved: 12,
            ApproximateNumberOfMessagesToMove: 100,
          },
        ],
      });
    sqsMock.on(CancelMessageMoveTaskCommand).resolves({ ApproximateNumberOfMessagesMoved: 12 });

    const result = await runMoveTask({
      sqs: new SQSClient({}),
      pair: PAIR,
      pollIntervalMs: 0,
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.moved === 10) controller.abort();
      },
    });

    expect(result).toMatchObject({ status: 'CANCELLED', moved: 12, cancelled: true });
    expect(sqsMock).toHaveReceivedCommandTimes(CancelMessageMoveTaskCommand, 1);
    expect(sqsMock).toHaveReceivedCommandWith(CancelMessageMoveTaskCommand, { TaskHandle: 'h1' });
  });
});
