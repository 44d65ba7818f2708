/** Maps AWS S3 SDK errors to pipeline errors in one place. */
import { S3ServiceException } from '@aws-sdk/client-s3';
import { PipelineError } from '../errors.js';

/** The HTTP status of an S3 SDK error, if it has one. */
export const s3Status = (error: unknown): number | undefined =>
  error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;

/** True for a 404 (`NoSuchKey`, `NotFound`). */
export const isS3NotFound = (error: unknown): boolean =>
  s3Status(error) === 404 ||
  (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound'));

/** True when a conditional request lost (412 precondition failed, 409 conditional conflict). */
export const isS3PreconditionFailed = (error: unknown): boolean => {
  const status = s3Status(error);
  return status === 412 || status === 409 || (error instanceof Error && error.name === 'PreconditionFailed');
};

/** Wraps an S3 failure: 403 is our IAM or bucket policy (alert), anything else is transient. */
export function toS3PipelineError(error: unknown, action: string): PipelineError {
  if (error instanceof PipelineError) return error;
  if (s3Status(error) === 403) {
    return new PipelineError(
      's3.access-denied',
      `S3 refused ${action} (403): check the function's IAM role.`,
      {
        cause: error,
      },
    );
  }
  return new PipelineError('s3.unavailable', `S3 failed during ${action}; it will be retried.`, {
    cause: error,
  });
}
