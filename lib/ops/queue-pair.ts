/**
 * A source queue and its DLQ, as the replay tool needs them. The DLQ is never guessed from a naming rule:
 * it is the `deadLetterTargetArn` of the source queue's RedrivePolicy, and its URL comes from GetQueueUrl.
 */
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError, PipelineError } from '../errors.js';
import type { QueueName } from '../pipeline/ports.js';
import type { StackQueue } from './stack.js';

/** Every address the replay tool uses. */
export interface QueuePair {
  queue: QueueName;
  url: string;
  arn: string;
  dlqUrl: string;
  dlqArn: string;
  maxReceiveCount: number | undefined;
}

const errorName = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : 'unknown error';

/** Wraps an SQS SDK failure: a missing queue is a configuration error, the rest is `sqs.unavailable`. */
export function toSqsError(error: unknown, action: string): PipelineError {
  if (error instanceof PipelineError) return error;
  const name = error instanceof Error ? error.name : '';
  if (/QueueDoesNotExist|NonExistentQueue/.test(name)) {
    return new ConfigError(`SQS ${action}: the queue does not exist (${errorName(error)}).`);
  }
  return new PipelineError('sqs.unavailable', `SQS ${action} failed (${errorName(error)}).`, {
    cause: error,
  });
}

interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

function parseRedrivePolicy(raw: string | undefined, queue: QueueName, url: string): RedrivePolicy {
  if (raw === undefined) {
    throw new ConfigError(`The ${queue} queue (${url}) has no RedrivePolicy, so it has no DLQ to replay.`);
  }
  try {
    const value = JSON.parse(raw) as Partial<RedrivePolicy>;
    if (typeof value.deadLetterTargetArn !== 'string') throw new Error('no deadLetterTargetArn');
    return { deadLetterTargetArn: value.deadLetterTargetArn, maxReceiveCount: Number(value.maxReceiveCount) };
  } catch (error) {
    throw new ConfigError(
      `The RedrivePolicy of the ${queue} queue is not usable (${(error as Error).message}).`,
    );
  }
}

/** `arn:aws:sqs:<region>:<account>:<name>` -> account and name. */
function splitQueueArn(arn: string): { account: string; name: string } {
  const parts = arn.split(':');
  const [prefix, , service, , account, name] = parts;
  if (parts.length !== 6 || prefix !== 'arn' || service !== 'sqs' || !account || !name) {
    throw new ConfigError(`${JSON.stringify(arn.slice(0, 200))} is not an SQS queue ARN.`);
  }
  return { account, name };
}

/** Completes a queue entry: its ARN, and its DLQ found through the RedrivePolicy (not guessed). */
export async function resolveQueuePair(
  sqs: SQSClient,
  queue: QueueName,
  entry: StackQueue,
): Promise<QueuePair> {
  if (entry.arn !== undefined && entry.dlqUrl !== undefined && entry.dlqArn !== undefined) {
    return {
      queue,
      url: entry.url,
      arn: entry.arn,
      dlqUrl: entry.dlqUrl,
      dlqArn: entry.dlqArn,
      maxReceiveCount: entry.maxReceiveCount,
    };
  }
  let attributes: Record<string, string>;
  try {
    const result = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: entry.url, AttributeNames: ['QueueArn', 'RedrivePolicy'] }),
    );
    attributes = result.Attributes ?? {};
  } catch (error) {
    throw toSqsError(error, `GetQueueAttributes of the ${queue} queue`);
  }
  const arn = attributes.QueueArn;
  if (arn === undefined) throw new ConfigError(`SQS reported no ARN for the ${queue} queue (${entry.url}).`);
  const policy = parseRedrivePolicy(attributes.RedrivePolicy, queue, entry.url);
  const { account, name } = splitQueueArn(policy.deadLetterTargetArn);
  let dlqUrl: string | undefined;
  try {
    dlqUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account })))
      .QueueUrl;
  } catch (error) {
    throw toSqsError(error, `GetQueueUrl of the ${queue} DLQ ${name}`);
  }
  if (dlqUrl === undefined) throw new ConfigError(`SQS reported no URL for the ${queue} DLQ ${name}.`);
  return {
    queue,
    url: entry.url,
    arn,
    dlqUrl,
    dlqArn: policy.deadLetterTargetArn,
    maxReceiveCount: Number.isInteger(policy.maxReceiveCount)
      ? policy.maxReceiveCount
      : entry.maxReceiveCount,
  };
}
