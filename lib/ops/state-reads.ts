/**
 * Read-only access to the state bucket for the operator commands: JSON documents, key listings with
 * their dates, and "folders" (common prefixes). Errors name the S3 error, since an operator reads them.
 */
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { PipelineError } from '../errors.js';
import { isS3NotFound, s3Status } from '../state/s3-errors.js';

/** The state bucket, read-only. */
export interface StateReader {
  readonly bucket: string;
  get<T>(key: string): Promise<T | undefined>;
  /** Keys under `prefix` with their last-modified dates. */
  list(prefix: string): Promise<Array<{ key: string; lastModified: Date | undefined }>>;
  /** The "folders" directly under `prefix` (ListObjectsV2 with a `/` delimiter). */
  folders(prefix: string): Promise<string[]>;
}

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : 'unknown error';

/** Wraps an S3 failure with the action and the S3 error's name. */
export function toStateReadError(error: unknown, action: string): PipelineError {
  if (error instanceof PipelineError) return error;
  const code = s3Status(error) === 403 ? 's3.access-denied' : 's3.unavailable';
  return new PipelineError(code, `S3 ${action} failed (${describeError(error)}).`, { cause: error });
}

/** Creates a {@link StateReader} over `bucket`. */
export function createStateReader(s3: S3Client, bucket: string): StateReader {
  return {
    bucket,
    async get<T>(key: string) {
      try {
        const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return JSON.parse((await result.Body?.transformToString('utf-8')) ?? '') as T;
      } catch (error) {
        if (isS3NotFound(error) && error instanceof Error && error.name !== 'NoSuchBucket') return undefined;
        if (error instanceof SyntaxError) {
          throw new PipelineError('internal.unexpected', `s3://${bucket}/${key} is not valid JSON.`);
        }
        throw toStateReadError(error, `GetObject s3://${bucket}/${key}`);
      }
    },
    async list(prefix) {
      const out: Array<{ key: string; lastModified: Date | undefined }> = [];
      try {
        for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
          for (const object of page.Contents ?? []) {
            if (object.Key !== undefined) out.push({ key: object.Key, lastModified: object.LastModified });
          }
        }
      } catch (error) {
        throw toStateReadError(error, `ListObjectsV2 s3://${bucket}/${prefix}`);
      }
      return out;
    },
    async folders(prefix) {
      const out: string[] = [];
      try {
        const pages = paginateListObjectsV2(
          { client: s3 },
          { Bucket: bucket, Prefix: prefix, Delimiter: '/' },
        );
        for await (const page of pages) {
          for (const folder of page.CommonPrefixes ?? [])
            if (folder.Prefix !== undefined) out.push(folder.Prefix);
        }
      } catch (error) {
        throw toStateReadError(error, `ListObjectsV2 s3://${bucket}/${prefix}`);
      }
      return out;
    },
  };
}
