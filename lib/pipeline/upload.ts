/**
 * The upload stage: one message is one bucket of one upload session. It reads only that bucket's entries
 * from the archive (ranged reads of the pinned object), sends them, and:
 * - when the response carries the completion token, enqueues finalize (then marks the bucket done);
 * - when every bucket of the session is done and no response carried the token (it was lost), re-opens
 *   the session: Cloudflare then answers with empty buckets and a completion token, or lists what is
 *   still missing;
 * - when the upload JWT expired (a replay hours later), re-opens the session from the stored manifest.
 */

import { readJwtExpiry } from '../cloudflare/jwt.js';
import { isPipelineError, PipelineError } from '../errors.js';
import { readBuildGate } from './ingest.js';
import type { UploadMessage } from './messages.js';
import type { PipelineDeps } from './ports.js';
import {
  type BucketDone,
  type BuildManifest,
  type BuildProgress,
  type SessionPlan,
  stateKeys,
} from './records.js';
import { enqueueFinalize, reopenSession } from './sessions.js';

export type UploadOutcome = 'uploaded' | 'completed' | 'reopened' | 'stale' | 'skipped';

/** Tokens this close to expiry are treated as expired (an upload may take a while). */
export const TOKEN_EXPIRY_MARGIN_MS = 5 * 60 * 1000;

/** The token, or undefined when it cannot be opened or expires within the margin. */
export function openUsableToken(sealed: string | undefined, deps: PipelineDeps): string | undefined {
  if (sealed === undefined) return undefined;
  const token = deps.sealer.open(sealed);
  if (token === undefined) return undefined;
  const expiry = readJwtExpiry(token);
  if (expiry !== undefined && expiry * 1000 - TOKEN_EXPIRY_MARGIN_MS <= deps.now().getTime())
    return undefined;
  return token;
}

const isTokenExpired = (error: unknown): boolean =>
  isPipelineError(error) && error.code === 'cloudflare.token-expired';

const purged = () =>
  new PipelineError(
    'build.purged',
    'The build state is gone (the tenant was torn down or the state purged).',
  );

/** Reads the session plan and progress only: an upload never loads the whole manifest unless it re-opens. */
async function loadBucket(message: UploadMessage, deps: PipelineDeps) {
  const [progress, plan] = await Promise.all([
    deps.state.get<BuildProgress>(stateKeys.progress(message.ref)),
    deps.state.get<SessionPlan>(stateKeys.sessionPlan(message.ref, message.sessionId)),
  ]);
  if (plan === undefined) throw purged();
  const files = plan.value.buckets[message.bucket];
  if (files === undefined)
    throw new PipelineError('message.malformed', `Session has no bucket ${message.bucket}.`);
  return { progress: progress?.value, plan: plan.value, files };
}

async function reopen(message: UploadMessage, deps: PipelineDeps): Promise<'reopened'> {
  const manifest = await deps.state.get<BuildManifest>(stateKeys.manifest(message.ref));
  if (manifest === undefined) throw purged();
  await reopenSession(manifest.value, message.sessionId, deps);
  return 'reopened';
}

/**
 * Streams the bucket from the archive into the request: entries are read, verified (size, CRC-32) and
 * encoded one at a time, so memory does not grow with the bucket; a retry re-reads them from the pinned
 * object. A repeated hash is sent once (Cloudflare stores content by hash).
 */
async function sendBucket(
  plan: SessionPlan,
  files: SessionPlan['buckets'][number],
  jwt: string,
  deps: PipelineDeps,
) {
  const unique = [...new Map(files.map((file) => [file.hash, file])).values()];
  const source = await deps.artifacts.open(plan.artifact);
  try {
    return await deps.cloudflare.uploadBucketStream(jwt, {
      files: unique.map(({ hash, size, contentType }) => ({ hash, size, contentType })),
      read: (signal) =>
        deps.artifacts.streamEntries(
          source,
          unique.map((file) => file.location),
          signal,
        ),
    });
  } finally {
    await source.close();
  }
}

/** True when every bucket of the session is done and none of them received the completion token. */
async function completionWasLost(
  message: UploadMessage,
  plan: SessionPlan,
  deps: PipelineDeps,
): Promise<boolean> {
  const done: BucketDone[] = [];
  for await (const key of deps.state.list(stateKeys.bucketDonePrefix(message.ref, message.sessionId))) {
    const marker = await deps.state.get<BucketDone>(key);
    if (marker !== undefined) done.push(marker.value);
  }
  return done.length >= plan.buckets.length && done.every((marker) => !marker.completed);
}

/** Runs the upload stage for one bucket. */
export async function uploadBucketOfBuild(
  message: UploadMessage,
  deps: PipelineDeps,
): Promise<UploadOutcome> {
  // The plan is read beside the gate; its failure (a closed tenant's plan may be purged) counts only
  // when the gate is open.
  const bucket = loadBucket(message, deps);
  bucket.catch(() => undefined);
  if ((await readBuildGate(message.ref, deps)) !== 'open') return 'skipped';
  const { progress, plan, files } = await bucket;
  // No progress document yet: ingest enqueues the uploads before it records progress (so a crash between
  // leaves the messages that redo it), and an upload may read before that write. This is then the build's
  // only session, so it is current (reopenSession reads a missing document the same way).
  const current = progress === undefined || progress.sessionId === message.sessionId;
  const jwt = openUsableToken(message.token, deps);
  if (jwt === undefined) return current ? reopen(message, deps) : 'stale';
  const started = deps.now();
  let result: Awaited<ReturnType<typeof sendBucket>>;
  try {
    result = await sendBucket(plan, files, jwt, deps);
  } catch (error) {
    if (!isTokenExpired(error)) throw error;
    return current ? reopen(message, deps) : 'stale';
  }
  const bytes = files.reduce((sum, file) => sum + file.size, 0);
  deps.metrics.count('AssetsUploaded', files.length);
  deps.metrics.bytes('AssetBytesUploaded', bytes);
  if (result.status === 'complete') {
    await enqueueFinalize(message.ref, message.sessionId, result.completionToken, 'completed', deps);
  }
  const marker: BucketDone = {
    v: 1,
    completed: result.status === 'complete',
    at: deps.now().toISOString(),
    durationMs: deps.now().getTime() - started.getTime(),
    files: files.length,
    bytes,
  };
  await deps.state.put(stateKeys.bucketDone(message.ref, message.sessionId, message.bucket), marker);
  deps.metrics.timing('BucketUploadDuration', marker.durationMs);
  if (result.status === 'complete') return 'completed';
  if (current && (await completionWasLost(message, plan, deps))) {
    deps.log.warn(
      'every bucket was sent but no response carried the completion token; re-opening the session',
    );
    return reopen(message, deps);
  }
  return 'uploaded';
}
