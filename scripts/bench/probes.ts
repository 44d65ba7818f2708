/**
 * What the benchmark counts inside our process: S3 requests and artifact bytes (an S3 client middleware),
 * and which hashes each upload session asked for against which hashes were sent (a fetch wrapper handed
 * to the Cloudflare client, which sees the session answers and the bucket forms before they are encoded).
 */
import type { S3Client } from '@aws-sdk/client-s3';
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

/** Hashes asked for by upload sessions and hashes sent in bucket uploads. */
export interface UploadAudit {
  sessions: number;
  askedBuckets: string[][];
  uploads: number;
  uploadedHashes: string[];
  /** Upload bodies that were not a FormData (the audit could not see their hashes). */
  opaqueUploads: number;
}

const urlOf = (input: string | URL | Request): string =>
  typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;

/** A fetch that audits asset uploads; pass it as `overrides.fetch`. */
export function createAuditingFetch(base: typeof fetch = fetch) {
  let audit: UploadAudit = emptyAudit();
  const wrapped: typeof fetch = async (input, init) => {
    const url = urlOf(input);
    let sent = init;
    if (url.includes('/workers/assets/upload')) {
      audit.uploads += 1;
      const body = init?.body;
      if (body instanceof FormData) audit.uploadedHashes.push(...body.keys());
      else if (body instanceof ReadableStream) {
        const hashes = audit.uploadedHashes;
        sent = { ...init, body: watchPartNames(body, (name) => hashes.push(name)) };
      } else audit.opaqueUploads += 1;
    }
    const response = await base(input, sent);
    if (url.includes('/assets-upload-session')) {
      audit.sessions += 1;
      const body = (await response.clone().json()) as { result?: { buckets?: string[][] } | null };
      audit.askedBuckets.push(...(body.result?.buckets ?? []));
    }
    return response;
  };
  return {
    fetch: wrapped,
    read: (): UploadAudit => audit,
    reset: () => {
      audit = emptyAudit();
    },
  };
}

const PART_NAME = /^--[^\r\n]+\r\nContent-Disposition: form-data; name="([^"]+)"/;

/**
 * Passes a streamed multipart body through unchanged, reporting each part's name. The client starts every
 * part header at the start of a chunk (lib/cloudflare/bucket-body.ts), so only chunk starts are looked at.
 * A chunk is read from the body only when fetch pulls one, so the audit keeps no queue of its own in the
 * process whose peak RSS it helps measure.
 */
function watchPartNames(
  body: ReadableStream<Uint8Array>,
  onName: (name: string) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await reader.read();
        if (next.done) return controller.close();
        const chunk = next.value;
        const start = Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(chunk.byteLength, 512));
        const match = PART_NAME.exec(start.toString('latin1'));
        if (match?.[1] !== undefined) onName(match[1]);
        controller.enqueue(chunk);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

function emptyAudit(): UploadAudit {
  return { sessions: 0, askedBuckets: [], uploads: 0, uploadedHashes: [], opaqueUploads: 0 };
}

/** Hashes that were uploaded although no session asked for them. */
export function unaskedUploads(audit: UploadAudit): string[] {
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
