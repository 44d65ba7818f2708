/** The S3 source, against a mocked S3 client: pinning, ranged reads, and every failure mapped. */

import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readArtifact } from '../../../lib/artifacts/read-artifact.js';
import { openS3Source } from '../../../lib/artifacts/sources/s3-source.js';
import { PipelineError } from '../../../lib/errors.js';
import { buildZip } from '../../helpers/zip-writer.js';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'us-east-1' });
const PIN = { bucket: 'artifacts', key: 'acme/site/b1.zip' };
const ETAG = 'abc123';

const ZIP = buildZip([
  { name: 'worker.js', data: 'export default {}' },
  ...Array.from({ length: 30 }, (_, i) => ({
    name: `public/${i}.bin`,
    data: Buffer.from(Array.from({ length: 2000 }, (_, j) => (j * j + i * 7) % 251)),
    method: 0,
  })),
]);

const failure = (name: string, status: number) =>
  new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });

/** A body that serves `Range: bytes=a-b` of `object` (optionally failing after the first chunk). */
function serve(object: Buffer, options: { etag?: string; failAfterFirstChunk?: boolean } = {}) {
  return (input: { Range?: string }) => {
    const match = /^bytes=(\d+)-(\d+)$/.exec(input.Range ?? '');
    const start = Number(match?.[1] ?? 0);
    const end = Number(match?.[2] ?? object.length - 1) + 1;
    const slice = object.subarray(start, end);
    let sent = false;
    const body = new Readable({
      read() {
        if (!sent) {
          sent = true;
          this.push(slice.subarray(0, Math.min(slice.length, 100)));
          if (options.failAfterFirstChunk)
            this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
          else this.push(slice.subarray(Math.min(slice.length, 100)));
        } else this.push(null);
      },
    });
    return { Body: sdkStreamMixin(body), ETag: `"${options.etag ?? ETAG}"`, ContentLength: slice.length };
  };
}

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(HeadObjectCommand).resolves({ ContentLength: ZIP.length, ETag: `"${ETAG}"` });
  s3Mock.on(GetObjectCommand).callsFake(serve(ZIP));
});

describe('openS3Source', () => {
  it('reads an artifact with every request pinned to the version id, in a few ranged GETs', async () => {
    const source = await openS3Source(s3, { ...PIN, versionId: 'v7', etag: ETAG });
    const artifact = await readArtifact(source, { tenant: 'acme' });
    expect(artifact.assets).toHaveLength(30);
    const gets = s3Mock.commandCalls(GetObjectCommand).map((call) => call.args[0].input);
    expect(gets.length).toBeLessThanOrEqual(4);
    expect(gets.every((input) => input.VersionId === 'v7' && input.IfMatch === undefined)).toBe(true);
    expect(gets.every((input) => /^bytes=\d+-\d+$/.test(input.Range ?? ''))).toBe(true);
    expect(s3Mock.commandCalls(HeadObjectCommand)[0]?.args[0].input).toMatchObject({
      ...{ Bucket: 'artifacts', Key: PIN.key },
      VersionId: 'v7',
    });
    expect(source.bytesRead).toBeLessThan(ZIP.length * 1.2);
  });

  it('pins by If-Match on the ETag when there is no version id', async () => {
    const source = await openS3Source(s3, { ...PIN, etag: ETAG });
    await readArtifact(source, { tenant: 'acme' });
    const inputs = [...s3Mock.commandCalls(HeadObjectCommand), ...s3Mock.commandCalls(GetObjectCommand)].map(
      (call) => call.args[0].input,
    );
    expect(inputs.every((input) => input.IfMatch === `"${ETAG}"` && input.VersionId === undefined)).toBe(
      true,
    );
  });

  it('opens without a HEAD when the verified size is known, every GET still pinned', async () => {
    // Act
    const source = await openS3Source(s3, { ...PIN, etag: ETAG }, ZIP.length);
    const artifact = await readArtifact(source, { tenant: 'acme' });

    // Assess
    expect(artifact.assets).toHaveLength(30);
    expect(s3Mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
    const gets = s3Mock.commandCalls(GetObjectCommand).map((call) => call.args[0].input);
    expect(gets.length).toBeGreaterThan(0);
    expect(gets.every((input) => input.IfMatch === `"${ETAG}"`)).toBe(true);
  });

  it.each([
    [
      'overwritten (412)',
      () => s3Mock.on(GetObjectCommand).rejects(failure('PreconditionFailed', 412)),
      'artifact.changed',
    ],
    [
      'answered with another ETag',
      () => s3Mock.on(GetObjectCommand).callsFake(serve(ZIP, { etag: 'new' })),
      'artifact.changed',
    ],
    [
      'deleted (404)',
      () => s3Mock.on(GetObjectCommand).rejects(failure('NoSuchKey', 404)),
      'artifact.not-found',
    ],
  ])('opened with a known size, still fails the first read of an object %s', async (_, arrange, code) => {
    // Prepare
    arrange();
    const source = await openS3Source(s3, { ...PIN, etag: ETAG }, ZIP.length);

    // Act
    const error = await source.read(0, 100).catch((thrown: unknown) => thrown);

    // Assess
    expect((error as PipelineError).code).toBe(code);
    expect(s3Mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });

  it('HEADs anyway when it has a size but nothing to pin to', async () => {
    // Act
    await openS3Source(s3, PIN, ZIP.length);

    // Assess
    expect(s3Mock.commandCalls(HeadObjectCommand)).toHaveLength(1);
  });

  it.each([
    {
      label: 'HEAD 404',
      arrange: () => s3Mock.on(HeadObjectCommand).rejects(failure('NotFound', 404)),
      code: 'artifact.not-found',
    },
    {
      label: 'HEAD 412',
      arrange: () => s3Mock.on(HeadObjectCommand).rejects(failure('PreconditionFailed', 412)),
      code: 'artifact.changed',
    },
    {
      label: 'HEAD with another ETag',
      arrange: () => s3Mock.on(HeadObjectCommand).resolves({ ContentLength: ZIP.length, ETag: '"other"' }),
      code: 'artifact.changed',
    },
    {
      label: 'HEAD 403',
      arrange: () => s3Mock.on(HeadObjectCommand).rejects(failure('AccessDenied', 403)),
      code: 's3.access-denied',
    },
    {
      label: 'HEAD 503',
      arrange: () => s3Mock.on(HeadObjectCommand).rejects(failure('SlowDown', 503)),
      code: 's3.unavailable',
    },
  ])('maps $label to $code', async ({ arrange, code }) => {
    arrange();
    const error = await openS3Source(s3, { ...PIN, etag: ETAG }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).code).toBe(code);
  });

  it.each([
    {
      label: 'a GET 404 (deleted while read)',
      arrange: () => s3Mock.on(GetObjectCommand).rejects(failure('NoSuchKey', 404)),
      code: 'artifact.not-found',
    },
    {
      label: 'a GET 412 (overwritten while read)',
      arrange: () => s3Mock.on(GetObjectCommand).rejects(failure('PreconditionFailed', 412)),
      code: 'artifact.changed',
    },
    {
      label: 'a GET answered with another ETag (If-Match ignored)',
      arrange: () => s3Mock.on(GetObjectCommand).callsFake(serve(ZIP, { etag: 'new' })),
      code: 'artifact.changed',
    },
    {
      label: 'a GET 500',
      arrange: () => s3Mock.on(GetObjectCommand).rejects(failure('InternalError', 500)),
      code: 's3.unavailable',
    },
  ])('rejects the read on $label with $code', async ({ arrange, code }) => {
    const source = await openS3Source(s3, { ...PIN, etag: ETAG });
    arrange();
    const error = await readArtifact(source, { tenant: 'acme' }).catch((thrown: unknown) => thrown);
    expect((error as PipelineError).code).toBe(code);
  });

  it('turns a body that fails mid-stream into a transient stream error, not a crash', async () => {
    const source = await openS3Source(s3, { ...PIN, versionId: 'v1' });
    s3Mock.on(GetObjectCommand).callsFake(serve(ZIP, { failAfterFirstChunk: true }));
    const stream = source.stream(0, ZIP.length);
    const error = await (async () => {
      for await (const _chunk of stream) {
        // drain until the error
      }
    })().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).code).toBe('s3.unavailable');
    expect((error as PipelineError).category).toBe('transient');
  });

  it('destroys the S3 body when the stream is closed early', async () => {
    let body: Readable | undefined;
    s3Mock.on(GetObjectCommand).callsFake((input: { Range?: string }) => {
      const answer = serve(ZIP)(input);
      body = answer.Body as unknown as Readable;
      return answer;
    });
    const source = await openS3Source(s3, { ...PIN, versionId: 'v1' });
    const stream = source.stream(0, ZIP.length);
    for await (const _chunk of stream) break;
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.destroyed).toBe(true);
    expect(body?.destroyed).toBe(true);
  });

  it('reads exact ranges and clamps at the end of the object', async () => {
    const source = await openS3Source(s3, { ...PIN, versionId: 'v1' });
    expect((await source.read(ZIP.length - 4, 100)).equals(ZIP.subarray(ZIP.length - 4))).toBe(true);
    expect(s3Mock.commandCalls(GetObjectCommand)[0]?.args[0].input.Range).toBe(
      `bytes=${ZIP.length - 4}-${ZIP.length - 1}`,
    );
    expect(await source.read(ZIP.length, 10)).toHaveLength(0);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(1);
  });
});
