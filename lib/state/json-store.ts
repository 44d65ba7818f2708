/**
 * JSON documents in one S3 bucket, with S3's conditional writes: the build state, the deploy pointer,
 * result records and audit records all live here. `create` is write-once (`If-None-Match: *`) and
 * `replace` is compare-and-swap (`If-Match: <etag>`), which is what makes the pipeline's guards race-free.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PipelineError } from '../errors.js';
import { isS3NotFound, isS3PreconditionFailed, toS3PipelineError } from './s3-errors.js';

/** A document with the ETag it was read at. */
export interface Versioned<T> {
  value: T;
  etag: string;
}

/** JSON documents under keys of one bucket. */
export interface JsonStore {
  readonly bucket: string;
  get<T>(key: string): Promise<Versioned<T> | undefined>;
  /** Writes unconditionally. */
  put(key: string, value: unknown): Promise<{ etag: string }>;
  /** Writes only if the key does not exist: the new document's ETag, or undefined when it already did. */
  create(key: string, value: unknown): Promise<{ etag: string } | undefined>;
  /** Writes only if the document still has `etag`; throws `state.conflict` otherwise. */
  replace(key: string, value: unknown, etag: string): Promise<{ etag: string }>;
  /** Every key under `prefix`. */
  list(prefix: string): AsyncIterable<string>;
  /** Deletes keys in batches of 1,000 (the DeleteObjects limit); returns how many were deleted. */
  deleteKeys(keys: string[]): Promise<number>;
  /** Deletes every key under `prefix`, page by page; returns the count. */
  deletePrefix(prefix: string): Promise<number>;
}

/** The DeleteObjects limit per request. */
export const DELETE_BATCH_SIZE = 1000;

const conflict = (key: string, cause: unknown) =>
  new PipelineError('state.conflict', `A concurrent writer changed ${key}; the step will be retried.`, {
    cause,
  });

/** Creates a {@link JsonStore} over `bucket`. */
export function createJsonStore(s3: S3Client, bucket: string): JsonStore {
  const write = async (
    key: string,
    value: unknown,
    condition: { IfNoneMatch?: string; IfMatch?: string },
  ) => {
    const result = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify(value),
        ContentType: 'application/json',
        ...condition,
      }),
    );
    return { etag: result.ETag ?? '' };
  };

  const deleteKeys = async (keys: string[]): Promise<number> => {
    let deleted = 0;
    for (let i = 0; i < keys.length; i += DELETE_BATCH_SIZE) {
      const batch = keys.slice(i, i + DELETE_BATCH_SIZE);
      try {
        const result = await s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        if ((result.Errors ?? []).length > 0) {
          throw new PipelineError(
            's3.unavailable',
            `S3 could not delete ${result.Errors?.length} objects; retrying.`,
          );
        }
      } catch (error) {
        throw toS3PipelineError(error, 'DeleteObjects');
      }
      deleted += batch.length;
    }
    return deleted;
  };

  async function* list(prefix: string): AsyncIterable<string> {
    try {
      for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
        for (const object of page.Contents ?? []) if (object.Key !== undefined) yield object.Key;
      }
    } catch (error) {
      throw toS3PipelineError(error, 'ListObjectsV2');
    }
  }

  return {
    bucket,
    async get<T>(key: string) {
      try {
        const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const text = (await result.Body?.transformToString('utf-8')) ?? '';
        return { value: JSON.parse(text) as T, etag: result.ETag ?? '' };
      } catch (error) {
        if (isS3NotFound(error)) return undefined;
        throw toS3PipelineError(error, `GetObject ${key}`);
      }
    },
    async put(key, value) {
      try {
        return await write(key, value, {});
      } catch (error) {
        throw toS3PipelineError(error, `PutObject ${key}`);
      }
    },
    async create(key, value) {
      try {
        return await write(key, value, { IfNoneMatch: '*' });
      } catch (error) {
        if (isS3PreconditionFailed(error)) return undefined;
        throw toS3PipelineError(error, `PutObject ${key}`);
      }
    },
    async replace(key, value, etag) {
      try {
        return await write(key, value, { IfMatch: etag });
      } catch (error) {
        if (isS3PreconditionFailed(error)) throw conflict(key, error);
        throw toS3PipelineError(error, `PutObject ${key}`);
      }
    },
    list,
    deleteKeys,
    async deletePrefix(prefix) {
      let deleted = 0;
      let batch: string[] = [];
      for await (const key of list(prefix)) {
        batch.push(key);
        if (batch.length === DELETE_BATCH_SIZE) {
          deleted += await deleteKeys(batch);
          batch = [];
        }
      }
      return deleted + (await deleteKeys(batch));
    },
  };
}
