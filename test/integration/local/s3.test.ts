import { randomBytes } from 'node:crypto';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalS3, type S3rverEvent, startLocalS3 } from '../../../infra/local/s3.js';

let s3: LocalS3;
let client: S3Client;

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: ['fidelity'] });
  client = s3.createClient();
});
afterAll(async () => {
  client.destroy();
  await s3.close();
});

const statusOf = async (promise: Promise<unknown>): Promise<number | undefined> => {
  try {
    await promise;
    return 200;
  } catch (error) {
    return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  }
};

describe('local S3 stand-in', () => {
  it('refuses a second create with If-None-Match: * (412), like S3', async () => {
    const put = () =>
      client.send(new PutObjectCommand({ Bucket: 'fidelity', Key: 'claim', Body: 'a', IfNoneMatch: '*' }));

    expect(await statusOf(put())).toBe(200);
    expect(await statusOf(put())).toBe(412);
  });

  it('applies If-Match as compare-and-swap: only one of two racing writers wins', async () => {
    const first = await client.send(new PutObjectCommand({ Bucket: 'fidelity', Key: 'cas', Body: 'v0' }));
    const swap = (body: string) =>
      statusOf(
        client.send(
          new PutObjectCommand({ Bucket: 'fidelity', Key: 'cas', Body: body, IfMatch: first.ETag }),
        ),
      );

    const results = await Promise.all([swap('v1'), swap('v2'), swap('v3')]);

    expect(results.filter((status) => status === 200)).toHaveLength(1);
    expect(results.filter((status) => status === 412)).toHaveLength(2);
  });

  it('answers a GET with a stale If-Match with 412', async () => {
    await client.send(new PutObjectCommand({ Bucket: 'fidelity', Key: 'pinned', Body: 'new' }));

    const status = await statusOf(
      client.send(new GetObjectCommand({ Bucket: 'fidelity', Key: 'pinned', IfMatch: '"0000"' })),
    );

    expect(status).toBe(412);
  });

  it('pages ListObjectsV2 with continuation tokens (s3rver alone fails with DES on OpenSSL 3)', async () => {
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        client.send(
          new PutObjectCommand({ Bucket: 'fidelity', Key: `page/${String(i).padStart(2, '0')}`, Body: 'x' }),
        ),
      ),
    );

    const keys: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2(
      { client, pageSize: 10 },
      { Bucket: 'fidelity', Prefix: 'page/' },
    )) {
      pages += 1;
      keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
    }

    expect(pages).toBe(3);
    expect(keys).toEqual(Array.from({ length: 25 }, (_, i) => `page/${String(i).padStart(2, '0')}`));
    const last = await client.send(
      new ListObjectsV2Command({ Bucket: 'fidelity', Prefix: 'page/', MaxKeys: 100 }),
    );
    expect(last.IsTruncated).toBe(false);
  });

  it('serves whole objects and byte ranges exactly across its 1 MiB reads, bytes=0-0 as one byte', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 1234);
    await client.send(new PutObjectCommand({ Bucket: 'fidelity', Key: 'ranges', Body: bytes }));
    const read = async (range?: string) => {
      const object = await client.send(
        new GetObjectCommand({
          Bucket: 'fidelity',
          Key: 'ranges',
          ...(range === undefined ? {} : { Range: range }),
        }),
      );
      return Buffer.from(await (object.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array())));
    };
    const last = bytes.length - 1;

    const bodies = await Promise.all([
      read(),
      read('bytes=0-0'),
      read('bytes=1048570-2097160'),
      read(`bytes=${last}-${last}`),
      read('bytes=2000000-'),
    ]);

    expect(bodies.map((body) => body.length)).toEqual([bytes.length, 1, 1048591, 1, bytes.length - 2000000]);
    expect(bodies[0]?.equals(bytes)).toBe(true);
    expect(bodies[1]?.equals(bytes.subarray(0, 1))).toBe(true);
    expect(bodies[2]?.equals(bytes.subarray(1048570, 2097161))).toBe(true);
    expect(bodies[3]?.equals(bytes.subarray(last))).toBe(true);
    expect(bodies[4]?.equals(bytes.subarray(2000000))).toBe(true);
  });

  it('never lets a reader see half an object while it is overwritten', async () => {
    const v1 = Buffer.alloc(4 * 1024 * 1024, 1);
    const v2 = Buffer.alloc(4 * 1024 * 1024, 2);
    await client.send(new PutObjectCommand({ Bucket: 'fidelity', Key: 'big', Body: v1 }));

    const reads = Array.from({ length: 12 }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 3));
      const object = await client.send(new GetObjectCommand({ Bucket: 'fidelity', Key: 'big' }));
      return Buffer.from(await (object.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array())));
    });
    const [, ...bodies] = await Promise.all([
      client.send(new PutObjectCommand({ Bucket: 'fidelity', Key: 'big', Body: v2 })),
      ...reads,
    ]);

    for (const body of bodies) expect(body.equals(v1) || body.equals(v2)).toBe(true);
  });

  it('emits object-created events with size and ETag', async () => {
    const events: S3rverEvent[] = [];
    const off = s3.onEvent((event) => events.push(event));

    await client.send(new PutObjectCommand({ Bucket: 'fidelity', Key: 'a b+c.zip', Body: 'zip' }));
    off();

    expect(events[0]?.Records[0]).toMatchObject({
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: 'fidelity' }, object: { key: 'a b+c.zip', size: 3 } },
    });
  });
});
