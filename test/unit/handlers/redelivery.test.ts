import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { PipelineError } from '../../../lib/errors.js';
import { processSqsBatch } from '../../../lib/handlers/sqs-batch.js';
import { createRecordingLogger } from '../../../lib/log.js';
import { createRecordingMetrics } from '../../../lib/metrics.js';

const sqsMock = mockClient(SQSClient);

const record = (receives: number): SQSRecord =>
  ({
    messageId: `m${receives}`,
    receiptHandle: `r${receives}`,
    body: '{}',
    attributes: { ApproximateReceiveCount: String(receives) },
  }) as unknown as SQSRecord;

async function delayFor(error: PipelineError, receives: number): Promise<number | undefined> {
  sqsMock.reset();
  sqsMock.on(ChangeMessageVisibilityCommand).resolves({});
  const response = await processSqsBatch([record(receives)], {
    log: createRecordingLogger(),
    metrics: createRecordingMetrics(),
    sqs: new SQSClient({ region: 'us-east-1' }),
    queueUrl: 'http://sqs.local/q',
    retryBaseMs: 10_000,
    handle: async () => {
      throw error;
    },
  });
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: `m${receives}` }]);
  return sqsMock.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input.VisibilityTimeout;
}

describe('redelivery delays', () => {
  beforeEach(() => sqsMock.reset());

  it.each([
    [1, 10],
    [2, 20],
    [4, 80],
    [12, 900],
  ])('backs a transient failure off exponentially (receive %i -> %i s)', async (receives, seconds) => {
    expect(await delayFor(new PipelineError('cloudflare.server-error', '502'), receives)).toBe(seconds);
  });

  it('honours a capped Retry-After exactly', async () => {
    const error = new PipelineError('cloudflare.rate-limited', '429', { retryAfterMs: 120_000 });

    expect(await delayFor(error, 1)).toBe(120);
  });

  it('waits for a busy deploy lease briefly at first, never past its end', async () => {
    const busy = (ms: number) => new PipelineError('build.busy', 'busy', { retryAfterMs: ms });

    expect(await delayFor(busy(240_000), 1)).toBe(2);
    expect(await delayFor(busy(240_000), 3)).toBe(8);
    expect(await delayFor(busy(5_000), 6)).toBe(5);
  });

  it('acknowledges user-input failures without touching their visibility', async () => {
    sqsMock.on(ChangeMessageVisibilityCommand).resolves({});

    const response = await processSqsBatch([record(1)], {
      log: createRecordingLogger(),
      metrics: createRecordingMetrics(),
      sqs: new SQSClient({ region: 'us-east-1' }),
      queueUrl: 'http://sqs.local/q',
      handle: async () => {
        throw new PipelineError('artifact.corrupt', 'bad');
      },
    });

    expect(response.batchItemFailures).toEqual([]);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(0);
  });
});
