/**
 * Purging every object under a prefix, in DeleteObjects batches of 1,000. On a versioned bucket (the
 * artifacts bucket in production) every version and delete marker goes, so nothing of the tenant remains;
 * where the store has no versioning API (s3rver), plain keys are deleted.
 */
import {
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  type ObjectIdentifier,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PipelineError } from '../errors.js';
import { DELETE_BATCH_SIZE } from '../state/json-store.js';
import { s3Status, toS3PipelineError } from '../state/s3-errors.js';

async function deleteBatch(s3: S3Client, bucket: string, objects: ObjectIdentifier[]): Promise<number> {
  if (objects.length === 0) return 0;
  try {
    const result = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
    );
    if ((result.Errors ?? []).length > 0) {
      throw new PipelineError(
        's3.unavailable',
        `S3 could not delete ${result.Errors?.length} objects; retrying.`,
      );
    }
    return objects.length;
  } catch (error) {
    throw toS3PipelineError(error, 'DeleteObjects');
  }
}

async function* versionsUnder(s3: S3Client, bucket: string, prefix: string): AsyncIterable<ObjectIdentifier> {
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  for (;;) {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
        ...(versionMarker === undefined ? {} : { VersionIdMarker: versionMarker }),
      }),
    );
    for (const item of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
      if (item.Key !== undefined)
        yield { Key: item.Key, ...(item.VersionId ? { VersionId: item.VersionId } : {}) };
    }
    if (page.IsTruncated !== true) return;
    keyMarker = page.NextKeyMarker;
    versionMarker = page.NextVersionIdMarker;
  }
}

async function* keysUnder(s3: S3Client, bucket: string, prefix: string): AsyncIterable<ObjectIdentifier> {
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const item of page.Contents ?? []) if (item.Key !== undefined) yield { Key: item.Key };
  }
}

async function purgeFrom(
  s3: S3Client,
  bucket: string,
  source: AsyncIterable<ObjectIdentifier>,
): Promise<number> {
  let purged = 0;
  let batch: ObjectIdentifier[] = [];
  for await (const object of source) {
    batch.push(object);
    if (batch.length === DELETE_BATCH_SIZE) {
      purged += await deleteBatch(s3, bucket, batch);
      batch = [];
    }
  }
  return purged + (await deleteBatch(s3, bucket, batch));
}

/** Deletes everything under `prefix` (which must be non-empty); returns the number of objects/versions. */
export async function purgePrefix(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  if (prefix === '' || !prefix.endsWith('/')) {
    throw new PipelineError('internal.unexpected', 'Refusing to purge without a tenant prefix.');
  }
  try {
    return await purgeFrom(s3, bucket, versionsUnder(s3, bucket, prefix));
  } catch (error) {
    const status = s3Status(error);
    if (status !== 501 && status !== 405 && status !== 400)
      throw toS3PipelineError(error, 'ListObjectVersions');
  }
  try {
    return await purgeFrom(s3, bucket, keysUnder(s3, bucket, prefix));
  } catch (error) {
    throw toS3PipelineError(error, 'ListObjectsV2');
  }
}
