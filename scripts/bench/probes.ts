/**
 * What the benchmark counts inside our process: S3 requests and artifact bytes (an S3 client middleware).
 * Which hashes each upload session asked for, and which were uploaded, the emulator records where the
 * bytes arrive (its `stats().assets`), so no probe sits in the measured process's upload stream.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { AssetAudit } from '../../infra/local/cloudflare/index.js';
import type { Logger } from '../../lib/log.js';

/** S3 requests by command, and body bytes of GETs on the artifacts bucket. */
export interface S3Counts {
  requests: Record<string, number>;
  artifactGetBytes: number;
}

/** Adds a counting middleware to `s3`; `reset` starts a new count. */
export function countS3(s3: S3Client, artifactsBucket: string) {
  let counts: S3Counts = { requests: {}, artifactGetBytes: 0 };
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const output = await next(args);
      const name = context.commandName ?? 'unknown';
      counts.requests[name] = (counts.requests[name] ?? 0) + 1;
      const input = args.input as { Bucket?: string };
      const response = output.response as { headers?: Record<string, string> } | undefined;
      if (name === 'GetObjectCommand' && input.Bucket === artifactsBucket) {
        counts.artifactGetBytes += Number(response?.headers?.['content-length'] ?? 0);
      }
      return output;
    },
    { step: 'deserialize', name: 'benchCountS3' },
  );
  return {
    read: (): S3Counts => counts,
    reset: () => {
      counts = { requests: {}, artifactGetBytes: 0 };
    },
  };
}

/** Hashes that were uploaded although no session asked for them. */
export function unaskedUploads(audit: AssetAudit): string[] {
  const asked = new Set(audit.askedBuckets.flat());
  return audit.uploadedHashes.filter((hash) => !asked.has(hash));
}

/** A logger for bench children: stdout carries the JSON report, so warnings and errors go to stderr. */
export const benchLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message, fields) => console.error(`warn: ${message}`, JSON.stringify(fields ?? {})),
  error: (message, fields) => console.error(`error: ${message}`, JSON.stringify(fields ?? {})),
  child: () => benchLogger,
  addContext: () => undefined,
};
