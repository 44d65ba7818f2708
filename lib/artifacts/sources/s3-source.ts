/**
 * A {@link ZipSource} over one S3 object, pinned to exactly the announced bytes: every request carries
 * the version id when known, else `If-Match` on the ETag, and every response's ETag is compared too (so
 * a stand-in that ignores `If-Match` still cannot mix two uploads). Ranged GETs only; body errors become
 * stream errors and early closes destroy the body, so no socket is left behind (aws-notes §6).
 */

import { PassThrough, type Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { InvalidArtifactError, PipelineError } from '../../errors.js';
import type { ZipSource } from '../types.js';

/** Which object version to read. */
export interface S3ObjectPin {
  bucket: string;
  key: string;
  versionId?: string;
  /** The ETag announced by the event (quotes optional). */
  etag?: string;
}

const unquote = (etag: string | undefined): string | undefined => etag?.replace(/^"|"$/g, '');

/** Maps an S3 failure to the pipeline's codes: gone, overwritten, refused, or transient. */
export function mapS3Error(error: unknown, pin: S3ObjectPin): PipelineError {
  if (error instanceof PipelineError) return error;
  const name = (error as { name?: unknown }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const where = `s3://${pin.bucket}/${pin.key}`;
  if (status === 404 || name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchVersion') {
    return new InvalidArtifactError('artifact.not-found', `The artifact ${where} no longer exists.`, {
      cause: error,
    });
  }
  if (status === 412 || name === 'PreconditionFailed') {
    return changed(pin, error);
  }
  if (status === 403 || name === 'AccessDenied') {
    return new PipelineError('s3.access-denied', `S3 refused to read ${where}.`, { cause: error });
  }
  return new PipelineError('s3.unavailable', `Reading ${where} from S3 failed; it will be retried.`, {
    cause: error,
  });
}

const changed = (pin: S3ObjectPin, cause?: unknown) =>
  new InvalidArtifactError(
    'artifact.changed',
    `The artifact s3://${pin.bucket}/${pin.key} was overwritten while it was read.`,
    {
      ...(cause === undefined ? {} : { cause }),
    },
  );

const condition = (pin: S3ObjectPin, etag: string | undefined) =>
  pin.versionId !== undefined
    ? { VersionId: pin.versionId }
    : etag === undefined
      ? {}
      : { IfMatch: `"${etag}"` };

/** What a pinned HEAD says about the object. */
export interface S3ObjectHead {
  size: number;
  /** The ETag without quotes. */
  etag: string | undefined;
  /** S3 user metadata. */
  metadata: Record<string, string>;
}

/** HEADs the object pinned to its version or ETag; an answer with another ETag is `artifact.changed`. */
export async function headS3Object(s3: S3Client, pin: S3ObjectPin): Promise<S3ObjectHead> {
  const wantedEtag = unquote(pin.etag);
  let head: HeadObjectCommandOutput;
  try {
    head = await s3.send(
      new HeadObjectCommand({ Bucket: pin.bucket, Key: pin.key, ...condition(pin, wantedEtag) }),
    );
  } catch (error) {
    throw mapS3Error(error, pin);
  }
  const etag = unquote(head.ETag) ?? wantedEtag;
  if (wantedEtag !== undefined && etag !== wantedEtag) throw changed(pin);
  return { size: head.ContentLength ?? 0, etag, metadata: head.Metadata ?? {} };
}

/**
 * A source pinned to the object's version or ETag. With `knownSize` (a size a pinned HEAD returned
 * before, e.g. the one ingest recorded) and a pin, it opens without a request; otherwise it HEADs the
 * object for its size and ETag first. Either way every GET is pinned, so a changed object fails the read.
 */
export async function openS3Source(s3: S3Client, pin: S3ObjectPin, knownSize?: number): Promise<ZipSource> {
  const wantedEtag = unquote(pin.etag);
  const pinned = wantedEtag !== undefined || pin.versionId !== undefined;
  if (knownSize !== undefined && pinned) return pinnedSource(s3, pin, wantedEtag, knownSize);
  const head = await headS3Object(s3, pin);
  return pinnedSource(s3, pin, head.etag, head.size);
}

function pinnedSource(s3: S3Client, pin: S3ObjectPin, etag: string | undefined, size: number): ZipSource {
  const pinned = { Bucket: pin.bucket, Key: pin.key, ...condition(pin, etag) };
  const checkEtag = (responseEtag: string | undefined) => {
    if (etag !== undefined && responseEtag !== undefined && unquote(responseEtag) !== etag)
      throw changed(pin);
  };
  let bytesRead = 0;

  const get = async (start: number, end: number, abortSignal?: AbortSignal) => {
    const response = await s3.send(
      new GetObjectCommand({ ...pinned, Range: `bytes=${start}-${end - 1}` }),
      abortSignal === undefined ? {} : { abortSignal },
    );
    checkEtag(response.ETag);
    if (response.Body === undefined) throw new PipelineError('s3.unavailable', 'S3 answered without a body.');
    return response.Body as Readable & { transformToByteArray(): Promise<Uint8Array> };
  };

  return {
    size,
    get bytesRead() {
      return bytesRead;
    },
    read: async (offset, length) => {
      const end = Math.min(size, offset + length);
      if (end <= offset) return Buffer.alloc(0);
      try {
        const bytes = Buffer.from(await (await get(offset, end)).transformToByteArray());
        bytesRead += bytes.length;
        if (bytes.length !== end - offset) throw new Error('short ranged read');
        return bytes;
      } catch (error) {
        throw mapS3Error(error, pin);
      }
    },
    stream: (start, end) => streamRange(Math.max(0, start), Math.min(size, end)),
    close: async () => undefined,
  };

  function streamRange(start: number, end: number): Readable {
    const out = new PassThrough({ highWaterMark: 1024 * 1024 });
    if (end <= start) {
      out.end();
      return out;
    }
    const abort = new AbortController();
    out.once('close', () => abort.abort());
    const pump = async () => {
      const body = await get(start, end, abort.signal);
      if (out.destroyed) {
        body.destroy();
        return;
      }
      out.once('close', () => body.destroy());
      let received = 0;
      body.on('error', (error) => out.destroy(mapS3Error(error, pin)));
      body.on('data', (chunk: Buffer) => {
        received += chunk.length;
        bytesRead += chunk.length;
        if (!out.write(chunk)) body.pause();
      });
      out.on('drain', () => body.resume());
      body.on('end', () => {
        if (received === end - start) out.end();
        else out.destroy(mapS3Error(new Error('S3 body ended early'), pin));
      });
    };
    pump().catch((error: unknown) => {
      if (!out.destroyed) out.destroy(mapS3Error(error, pin));
    });
    return out;
  }
}
