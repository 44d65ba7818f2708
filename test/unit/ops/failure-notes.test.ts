import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createUploadHandler } from '../../../lib/handlers/stage-handlers.js';
import { createFailureNotes, type FailureNote, failureNoteKey } from '../../../lib/ops/failure-notes.js';
import type { MessageInfo } from '../../../lib/ops/message-info.js';
import { containsSecret } from '../../../lib/redact.js';
import { createHarness } from '../../helpers/pipeline-harness.js';

const MAX_RECEIVES = { ingest: 5, upload: 3, finalize: 3, teardown: 5 };

const sqsRecord = (body: string, receiveCount: number, messageId = `m-${receiveCount}`): SQSRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: String(receiveCount),
    SentTimestamp: '1795300000000',
    SenderId: 'sender',
    ApproximateFirstReceiveTimestamp: '1795300000000',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:1:upload',
  awsRegion: 'us-east-1',
});

/** A harness with one ingested build whose upload messages wait in memory. */
async function harnessWithUploads() {
  const harness = createHarness();
  const event = harness.upload('acme/site/b1.zip', {
    'worker.js': 'export default {}',
    'public/a.html': '<p>a</p>',
  });
  await harness.ingest(event);
  const [upload] = harness.queues.upload.splice(0);
  const handler = createUploadHandler({
    ...harness.deps,
    finalFailures: createFailureNotes({
      state: harness.store,
      now: harness.deps.now,
      maxReceiveCount: MAX_RECEIVES,
    }),
  });
  return { harness, handler, body: JSON.stringify(upload) };
}

describe('failure notes', () => {
  it.each<[string, MessageInfo, string | undefined]>([
    [
      'a build message',
      { queue: 'upload', tenant: 'acme', script: 'site', build: 'b1', stage: '' },
      'builds/acme/site/b1/failures/upload.json',
    ],
    ['a tenant closure', { queue: 'teardown', tenant: 'acme', stage: '' }, 'failures/teardown/acme.json'],
    [
      'a tag delete',
      { queue: 'teardown', tag: 'plan-free', stage: '' },
      'failures/teardown/_tags/plan-free.json',
    ],
    ['an unreadable body', { queue: 'finalize', stage: '', unreadable: 'message.malformed' }, undefined],
  ])('keys the note of %s by what it is about', (_, info, key) => {
    expect(failureNoteKey(info)).toBe(key);
  });

  it('notes a failure only on the last receive before the DLQ, with the code and without the token', async () => {
    const { harness, handler, body } = await harnessWithUploads();
    harness.cf.failNext = 10;

    const early = await handler({ Records: [sqsRecord(body, 2)] });
    const notesAfterEarly = harness.store.keys('builds/acme/site/b1/failures/');
    const last = await handler({ Records: [sqsRecord(body, 3, 'm-last')] });

    expect(early.batchItemFailures).toEqual([{ itemIdentifier: 'm-2' }]);
    expect(notesAfterEarly).toEqual([]);
    expect(last.batchItemFailures).toEqual([{ itemIdentifier: 'm-last' }]);
    const note = harness.store.read<FailureNote>('builds/acme/site/b1/failures/upload.json');
    expect(note).toMatchObject({
      v: 1,
      queue: 'upload',
      messageId: 'm-last',
      receiveCount: 3,
      tenant: 'acme',
      script: 'site',
      build: 'b1',
      stage: expect.stringMatching(/^upload bucket 0 \(session session\d+\)$/),
      error: { category: 'transient', code: 'cloudflare.server-error' },
    });
    const raw = JSON.stringify(note);
    expect(raw).not.toContain('sealed:');
    expect(containsSecret(raw)).toBe(false);
  });

  it('writes no note for an acknowledged user-input failure, even on the last receive', async () => {
    const { harness, handler } = await harnessWithUploads();

    const response = await handler({ Records: [sqsRecord('{"v":1,"kind":"upload"}', 3)] });

    expect(response.batchItemFailures).toEqual([]);
    expect(harness.store.keys('builds/')).not.toContain('builds/acme/site/b1/failures/upload.json');
  });

  it('keeps the batch outcome when the note cannot be written, and says so in the log', async () => {
    const { harness, handler, body } = await harnessWithUploads();
    harness.cf.failNext = 10;
    harness.store.beforeWrite = (key) => {
      if (key.includes('/failures/')) throw new Error('S3 is down');
    };

    const response = await handler({ Records: [sqsRecord(body, 3)] });

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-3' }]);
    expect(harness.log.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'could not note the final failure for the replay tool',
      }),
    );
  });

  it('puts the correlation keys on the failure line of the batch runner', async () => {
    const { harness, handler, body } = await harnessWithUploads();
    harness.cf.failNext = 10;

    await handler({ Records: [sqsRecord(body, 1)] });

    const failure = harness.log.lines.find((line) => line.message.startsWith('record failed'));
    expect(failure).toMatchObject({
      tenant: 'acme',
      script: 'site',
      build: 'b1',
      code: 'cloudflare.server-error',
    });
  });
});
