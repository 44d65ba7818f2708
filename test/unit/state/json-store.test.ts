import { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createJsonStore } from '../../../lib/state/json-store.js';

const s3Mock = mockClient(S3Client);

const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });

describe('JSON store on S3', () => {
  beforeEach(() => {
    s3Mock.reset();
  });

  it('creates write-once documents with If-None-Match: * and reports an existing one as undefined', async () => {
    s3Mock
      .on(PutObjectCommand, { IfNoneMatch: '*' })
      .rejectsOnce(s3Error('PreconditionFailed', 412))
      .resolves({ ETag: '"e1"' });
    const store = createJsonStore(new S3Client({}), 'state');

    expect(await store.create('claim.json', { a: 1 })).toBeUndefined();
    expect(await store.create('claim.json', { a: 1 })).toEqual({ etag: '"e1"' });
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'state',
      Key: 'claim.json',
      IfNoneMatch: '*',
    });
  });

  it.each([
    ['412 PreconditionFailed', s3Error('PreconditionFailed', 412)],
    ['409 ConditionalRequestConflict', s3Error('ConditionalRequestConflict', 409)],
  ])('turns a lost compare-and-swap (%s) into state.conflict', async (_name, error) => {
    s3Mock.on(PutObjectCommand).rejects(error);
    const store = createJsonStore(new S3Client({}), 'state');

    await expect(store.replace('deploy.json', {}, '"old"')).rejects.toMatchObject({
      code: 'state.conflict',
      category: 'transient',
    });
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, { IfMatch: '"old"' });
  });

  it('reads a document with its ETag, and a missing one as undefined', async () => {
    s3Mock
      .on(GetObjectCommand, { Key: 'doc.json' })
      .resolves({ ETag: '"e7"', Body: sdkStreamMixin(Readable.from([Buffer.from('{"x":1}')])) })
      .on(GetObjectCommand, { Key: 'missing.json' })
      .rejects(s3Error('NoSuchKey', 404));
    const store = createJsonStore(new S3Client({}), 'state');

    expect(await store.get('doc.json')).toEqual({ value: { x: 1 }, etag: '"e7"' });
    expect(await store.get('missing.json')).toBeUndefined();
  });

  it('maps 403 to s3.access-denied and other failures to s3.unavailable', async () => {
    s3Mock.on(GetObjectCommand, { Key: 'denied' }).rejects(s3Error('AccessDenied', 403));
    s3Mock.on(GetObjectCommand, { Key: 'down' }).rejects(s3Error('SlowDown', 503));
    const store = createJsonStore(new S3Client({}), 'state');

    await expect(store.get('denied')).rejects.toMatchObject({
      code: 's3.access-denied',
      category: 'upstream-rejected',
    });
    await expect(store.get('down')).rejects.toMatchObject({ code: 's3.unavailable', category: 'transient' });
  });

  it('deletes in batches of at most 1,000 keys', async () => {
    s3Mock.on(DeleteObjectsCommand).resolves({});
    const store = createJsonStore(new S3Client({}), 'state');
    const keys = Array.from({ length: 2500 }, (_, i) => `k${i}`);

    expect(await store.deleteKeys(keys)).toBe(2500);

    const sizes = s3Mock
      .commandCalls(DeleteObjectsCommand)
      .map((call) => call.args[0].input.Delete?.Objects?.length);
    expect(sizes).toEqual([1000, 1000, 500]);
  });
});
