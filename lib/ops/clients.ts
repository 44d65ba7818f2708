/**
 * AWS clients for the operator commands. Against AWS the SDK's default chain supplies credentials and
 * (when no flag or variable does) the region; a loopback endpoint means the local stand-ins, which accept
 * any signature, so those clients get the same dummy credentials infra/local uses.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { OpsStack } from './stack.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** True when `endpoint` points at this machine (the local stand-ins). */
export const isLoopbackEndpoint = (endpoint: string | undefined): boolean =>
  endpoint !== undefined && LOOPBACK_HOSTS.has(new URL(endpoint).hostname);

const regionOf = (stack: OpsStack, local: boolean) =>
  stack.region === undefined ? (local ? { region: 'us-east-1' } : {}) : { region: stack.region };

/** An SQS client for the stack's endpoint (or AWS). */
export function createOpsSqsClient(stack: OpsStack): SQSClient {
  const local = isLoopbackEndpoint(stack.sqsEndpoint);
  return new SQSClient({
    ...regionOf(stack, local),
    ...(stack.sqsEndpoint === undefined ? {} : { endpoint: stack.sqsEndpoint }),
    ...(local ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}

/** An S3 client for the stack's endpoint (or AWS); path style and checksums-when-required locally. */
export function createOpsS3Client(stack: OpsStack): S3Client {
  const local = isLoopbackEndpoint(stack.s3Endpoint);
  return new S3Client({
    ...regionOf(stack, local),
    ...(stack.s3Endpoint === undefined ? {} : { endpoint: stack.s3Endpoint, forcePathStyle: true }),
    ...(local
      ? {
          credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
          // s3rver stores aws-chunked checksum frames verbatim (aws-notes §7).
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
  });
}
