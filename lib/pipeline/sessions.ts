/**
 * Upload sessions: open one from the stored manifest, write its plan, and fan its buckets out to the
 * upload queue. The same code opens the first session (ingest) and every later one (a token expired, or
 * the response carrying the completion token was lost): re-opening is always safe, because Cloudflare
 * lists only the hashes it still misses.
 */
import type { AssetManifest } from '../cloudflare/types.js';
import { PipelineError } from '../errors.js';
import type { BuildRef } from './identity.js';
import type { FinalizeMessage, UploadMessage } from './messages.js';
import type { PipelineDeps } from './ports.js';
import {
  type BuildManifest,
  type BuildProgress,
  type PlannedFile,
  type SessionPlan,
  stateKeys,
} from './records.js';

/** The Cloudflare manifest (path -> hash and size) of a build. */
export function toCloudflareManifest(manifest: BuildManifest): AssetManifest {
  const out: AssetManifest = {};
  for (const asset of manifest.assets) out[asset.path] = { hash: asset.hash, size: asset.size };
  return out;
}

/** What opening a session did. */
export interface DispatchedSession {
  sessionId: string;
  /** Set when Cloudflare already had every file: the session JWT is the completion token. */
  completionToken?: string;
  buckets: number;
  missing: number;
  missingBytes: number;
}

function planBuckets(manifest: BuildManifest, buckets: string[][]): PlannedFile[][] {
  const byHash = new Map<string, PlannedFile>();
  for (const asset of manifest.assets) {
    if (!byHash.has(asset.hash)) {
      byHash.set(asset.hash, {
        hash: asset.hash,
        size: asset.size,
        contentType: asset.contentType,
        location: asset.location,
      });
    }
  }
  return buckets.map((bucket) =>
    bucket.map((hash) => {
      const file = byHash.get(hash);
      if (file === undefined) {
        throw new PipelineError(
          'cloudflare.invalid-response',
          'Cloudflare asked for a hash that is not in the manifest; the session will be re-opened.',
        );
      }
      return file;
    }),
  );
}

/**
 * Opens a session for the manifest's exact script on the namespace endpoint, stores its plan and
 * enqueues one upload message per bucket. Empty buckets mean the JWT is already the completion token.
 * `ready` (ingest storing the manifest) runs while the session opens; nothing is written or sent before
 * it has succeeded.
 */
export async function openAndDispatchSession(
  manifest: BuildManifest,
  deps: PipelineDeps,
  ready: Promise<unknown> = Promise.resolve(),
): Promise<DispatchedSession> {
  if (manifest.assets.length === 0) {
    await ready;
    // A Worker without static assets needs no session and no completion token.
    return { sessionId: deps.newSessionId(), buckets: 0, missing: 0, missingBytes: 0 };
  }
  const [session] = await Promise.all([
    deps.cloudflare.openUploadSession(
      deps.config.cloudflare.namespace,
      manifest.scriptName,
      toCloudflareManifest(manifest),
    ),
    ready,
  ]);
  const sessionId = deps.newSessionId();
  if (session.buckets.length === 0) {
    return { sessionId, completionToken: session.jwt, buckets: 0, missing: 0, missingBytes: 0 };
  }
  const planned = planBuckets(manifest, session.buckets);
  const plan: SessionPlan = {
    v: 1,
    sessionId,
    openedAt: deps.now().toISOString(),
    artifact: manifest.artifact,
    buckets: planned,
  };
  await deps.state.put(stateKeys.sessionPlan(manifest.ref, sessionId), plan);
  const token = deps.sealer.seal(session.jwt);
  const messages: UploadMessage[] = planned.map((_, bucket) => ({
    v: 1,
    kind: 'upload',
    ref: manifest.ref,
    sessionId,
    bucket,
    token,
  }));
  await deps.queues.send('upload', messages);
  const files = planned.flat();
  return {
    sessionId,
    buckets: planned.length,
    missing: files.length,
    missingBytes: files.reduce((sum, file) => sum + file.size, 0),
  };
}

/** Enqueues finalize with a sealed completion token. */
export async function enqueueFinalize(
  ref: BuildRef,
  sessionId: string,
  completionToken: string | undefined,
  reason: FinalizeMessage['reason'],
  deps: PipelineDeps,
): Promise<void> {
  const message: FinalizeMessage = {
    v: 1,
    kind: 'finalize',
    ref,
    sessionId,
    reason,
    ...(completionToken === undefined ? {} : { token: deps.sealer.seal(completionToken) }),
  };
  await deps.queues.send('finalize', [message]);
}

/**
 * Replaces a session whose tokens expired or whose completion was lost. Only the holder of the current
 * session re-opens (others see a newer session and stop); the progress pointer moves last, after every
 * message of the new session is enqueued, so a crash at any point leaves a message that will redo it.
 */
export async function reopenSession(
  manifest: BuildManifest,
  staleSessionId: string,
  deps: PipelineDeps,
): Promise<'reopened' | 'already-replaced'> {
  const key = stateKeys.progress(manifest.ref);
  const progress = await deps.state.get<BuildProgress>(key);
  if (progress !== undefined && progress.value.sessionId !== staleSessionId) return 'already-replaced';
  const dispatched = await openAndDispatchSession(manifest, deps);
  if (dispatched.completionToken !== undefined) {
    await enqueueFinalize(manifest.ref, dispatched.sessionId, dispatched.completionToken, 'recovered', deps);
  }
  const next: BuildProgress = {
    v: 1,
    sessionId: dispatched.sessionId,
    sessions: (progress?.value.sessions ?? 0) + 1,
    initialMissing: progress?.value.initialMissing ?? dispatched.missing,
    initialMissingBytes: progress?.value.initialMissingBytes ?? dispatched.missingBytes,
    updatedAt: deps.now().toISOString(),
  };
  try {
    if (progress === undefined) await deps.state.create(key, next);
    else await deps.state.replace(key, next, progress.etag);
  } catch (error) {
    // A concurrent re-open won the race; its session and ours both cover the missing files.
    if (!(error instanceof PipelineError && error.code === 'state.conflict')) throw error;
  }
  deps.metrics.count('UploadSessionsReopened');
  deps.log.info('upload session re-opened', { sessionId: dispatched.sessionId, buckets: dispatched.buckets });
  return 'reopened';
}
