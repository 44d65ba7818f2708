/**
 * A full replay through SQS's own redrive: StartMessageMoveTask from the DLQ to its source queue, then
 * ListMessageMoveTasks until the task ends. SQS moves each message atomically (send, then delete), so an
 * interrupted or failed task loses nothing. One task may run per DLQ: a second `replay` while one runs
 * follows that task instead of failing (safe to run twice). Ctrl-C cancels the task; what it moved stays
 * moved and the rest stays in the DLQ.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import {
  CancelMessageMoveTaskCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { PipelineError } from '../errors.js';
import { readQueueDepth } from './dlq-messages.js';
import { type QueuePair, toSqsError } from './queue-pair.js';

export type MoveTaskStatus =
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELLED'
  | 'CANCELLING'
  | 'RUNNING'
  | 'NOTHING_TO_MOVE';

export interface MoveTaskProgress {
  status: MoveTaskStatus;
  moved: number;
  toMove: number;
}

export interface MoveTaskOptions {
  sqs: SQSClient;
  pair: QueuePair;
  signal?: AbortSignal;
  onProgress?: (progress: MoveTaskProgress) => void;
  /** How often ListMessageMoveTasks is polled. */
  pollIntervalMs?: number;
  /** SQS's rate limit for the task (1-500 per second); SQS picks one when absent. */
  maxMessagesPerSecond?: number;
}

export interface MoveTaskResult extends MoveTaskProgress {
  /** True when a task was already running and this run followed it. */
  joinedRunningTask: boolean;
  /** True when this run cancelled the task (interrupted). */
  cancelled: boolean;
  failureReason?: string;
}

/** Polls after a cancel before giving up waiting for CANCELLED. */
const MAX_POLLS_AFTER_CANCEL = 30;

async function listTasks(sqs: SQSClient, dlqArn: string): Promise<ListMessageMoveTasksResultEntry[]> {
  try {
    return (
      (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: 10 }))).Results ?? []
    );
  } catch (error) {
    throw toSqsError(error, 'ListMessageMoveTasks');
  }
}

const progressOf = (task: ListMessageMoveTasksResultEntry | undefined): MoveTaskProgress => ({
  status: (task?.Status as MoveTaskStatus | undefined) ?? 'RUNNING',
  moved: task?.ApproximateNumberOfMessagesMoved ?? 0,
  toMove: task?.ApproximateNumberOfMessagesToMove ?? 0,
});

async function startTask(options: MoveTaskOptions): Promise<string> {
  try {
    const { TaskHandle } = await options.sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: options.pair.dlqArn,
        DestinationArn: options.pair.arn,
        ...(options.maxMessagesPerSecond === undefined
          ? {}
          : { MaxNumberOfMessagesPerSecond: options.maxMessagesPerSecond }),
      }),
    );
    if (TaskHandle === undefined) throw new Error('no TaskHandle in the answer');
    return TaskHandle;
  } catch (error) {
    throw toSqsError(error, 'StartMessageMoveTask');
  }
}

async function cancelTask(sqs: SQSClient, handle: string): Promise<void> {
  try {
    await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: handle }));
  } catch {
    // The task may have just ended; the next poll tells.
  }
}

/** Moves everything in the DLQ back to its source queue with a move task, and waits for the end. */
export async function runMoveTask(options: MoveTaskOptions): Promise<MoveTaskResult> {
  const { sqs, pair, signal } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const running = (await listTasks(sqs, pair.dlqArn)).find((task) => task.Status === 'RUNNING');
  const joinedRunningTask = running?.TaskHandle !== undefined;
  let handle = running?.TaskHandle;
  if (handle === undefined) {
    const depth = await readQueueDepth(sqs, pair.dlqUrl);
    if (depth.visible === 0) {
      return { status: 'NOTHING_TO_MOVE', moved: 0, toMove: 0, joinedRunningTask: false, cancelled: false };
    }
    handle = await startTask(options);
  }
  let cancelled = false;
  let pollsAfterCancel = 0;
  for (;;) {
    if (signal?.aborted && !cancelled) {
      await cancelTask(sqs, handle);
      cancelled = true;
    }
    const tasks = await listTasks(sqs, pair.dlqArn);
    // SQS lists a handle only while the task runs; afterwards ours is the newest (one task per DLQ).
    const task = tasks.find((entry) => entry.TaskHandle === handle) ?? tasks[0];
    const progress = progressOf(task);
    options.onProgress?.(progress);
    if (progress.status !== 'RUNNING' && progress.status !== 'CANCELLING') {
      return {
        ...progress,
        joinedRunningTask,
        cancelled,
        ...(task?.FailureReason === undefined ? {} : { failureReason: task.FailureReason }),
      };
    }
    if (cancelled) pollsAfterCancel += 1;
    if (pollsAfterCancel > MAX_POLLS_AFTER_CANCEL) {
      throw new PipelineError(
        'sqs.unavailable',
        'The move task did not confirm its cancellation; check it with ListMessageMoveTasks.',
      );
    }
    await sleep(pollIntervalMs, undefined, cancelled || signal === undefined ? {} : { signal }).catch(
      () => undefined,
    );
  }
}
