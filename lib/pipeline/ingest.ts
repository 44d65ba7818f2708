/**
 * The ingest stage: one S3 object event -> a claimed build, a validated manifest in S3, an upload session
 * opened for the exact script it will deploy, and its buckets fanned out to the upload queue.
 *
 * Idempotent per artifact (bucket, key, ETag/version): a duplicate event, a redelivery or a replay finds
 * the claim, the manifest or the progress document and resumes or stops; it never dispatches twice.
 */
import { isPipelineError, type PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import { type BuildRef, cloudflareScriptName, parseArtifactKey } from './identity.js';
import type { ArtifactHead, PipelineDeps } from './ports.js';
import {
  type ArtifactPointer,
  type BuildClaim,
  type BuildManifest,
  type BuildOrder,
  type BuildProgress,
  stateKeys,
} from './records.js';
import { errorRecord, invalidKeyRecord, writeResult } from './results.js';
import type { ObjectEvent } from './s3-events.js';
import { enqueueFinalize, openAndDispatchSession } from './sessions.js';
import { buildScriptTags } from './tags.js';

export type IngestOutcome =
  | 'dispatched'
  | 'rejected'
  | 'duplicate'
  | 'ignored-id-reused'
  | 'ignored-tenant-closed'
  | 'ignored-unknown-bucket'
  | 'ignored-unsupported-event';

const isUserInput = (error: unknown): error is PipelineError =>
  isPipelineError(error) && error.category === 'user-input';

const sameArtifact = (a: ArtifactPointer, b: ArtifactPointer): boolean =>
  a.bucket === b.bucket && a.key === b.key && a.etag === b.etag && a.versionId === b.versionId;

/** True when the tenant was torn down: its builds are dropped without writing anything. */
export async function isTenantClosed(tenant: string, deps: PipelineDeps): Promise<boolean> {
  return (await deps.state.get(stateKeys.tombstone(tenant))) !== undefined;
}

/** Whether a stage may act on a build: its tenant was torn down, it already has its result, or neither. */
export type BuildGate = 'tenant-closed' | 'has-result' | 'open';

/**
 * Reads the tenant's tombstone and the build's result record at once (one S3 round trip of waiting, not
 * two, at the start of every stage); a closed tenant wins over a result.
 */
export async function readBuildGate(ref: BuildRef, deps: PipelineDeps): Promise<BuildGate> {
  const [closed, result] = await Promise.all([
    isTenantClosed(ref.tenant, deps),
    deps.state.get(stateKeys.result(ref)),
  ]);
  if (closed) return 'tenant-closed';
  return result === undefined ? 'open' : 'has-result';
}

async function readManifest(
  ref: BuildRef,
  event: ArtifactPointer,
  order: BuildOrder,
  headed: Promise<ArtifactHead>,
  deps: PipelineDeps,
): Promise<BuildManifest> {
  const started = deps.now();
  const head = await headed;
  const tags = buildScriptTags(ref.tenant, head.metadata.tags, deps.config.tags);
  // The size S3 reported for this exact version: later stages open the archive without a HEAD of their own.
  const artifact: ArtifactPointer = { ...event, size: head.size };
  const source = await deps.artifacts.open(artifact);
  let read: Awaited<ReturnType<PipelineDeps['artifacts']['read']>>;
  try {
    read = await deps.artifacts.read(source, ref.tenant);
  } finally {
    await source.close();
  }
  const finished = deps.now();
  const uniqueAssets = new Set(read.assets.map((asset) => asset.hash)).size;
  return {
    v: 1,
    ref,
    scriptName: cloudflareScriptName(ref),
    tags,
    artifact,
    order,
    assets: read.assets,
    modules: read.modules,
    config: read.config,
    stats: {
      entries: read.entries.length,
      assetBytes: read.assets.reduce((sum, asset) => sum + asset.size, 0),
      moduleBytes: read.modules.reduce((sum, module) => sum + module.size, 0),
      uniqueAssets,
    },
    ingest: {
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      bytesRead: read.stats.bytesRead,
    },
  };
}

/** Claims the build id for this artifact; false when another artifact owns it. */
async function claimBuild(claim: BuildClaim, deps: PipelineDeps, log: Logger): Promise<boolean> {
  if ((await deps.state.create(stateKeys.claim(claim.ref), claim)) !== undefined) return true;
  const existing = await deps.state.get<BuildClaim>(stateKeys.claim(claim.ref));
  if (existing === undefined || sameArtifact(existing.value.artifact, claim.artifact)) return true;
  log.warn('build id already claimed by another artifact; ignoring this upload', {
    code: 'build.id-reused',
    claimedEtag: existing.value.artifact.etag,
    etag: claim.artifact.etag,
  });
  deps.metrics.count('BuildIdReused');
  return false;
}

/**
 * Events this stack must not act on: another bucket's (the queue accepts only ours, so this is a
 * misrouted or forged event; nothing is read or written for it, not even a record), or anything but an
 * object creation. Both are acknowledged with their code in the log.
 */
function foreignEvent(event: ObjectEvent, deps: PipelineDeps): IngestOutcome | undefined {
  const ignore = (
    code: 'event.unknown-bucket' | 'event.unsupported',
    outcome: IngestOutcome,
    why: string,
  ) => {
    deps.metrics.count('EventsIgnored', 1, { code });
    deps.log.warn(`${why}; acknowledged, nothing read or written`, {
      code,
      bucket: event.bucket.slice(0, 100),
      eventName: event.eventName.slice(0, 100),
    });
    return outcome;
  };
  if (event.bucket !== deps.config.artifactsBucket)
    return ignore(
      'event.unknown-bucket',
      'ignored-unknown-bucket',
      'event for a bucket this stack does not own',
    );
  if (!event.eventName.startsWith('ObjectCreated:'))
    return ignore('event.unsupported', 'ignored-unsupported-event', 'not an object-created event');
  return undefined;
}

/** Runs the ingest stage for one object event. */
export async function ingestObject(event: ObjectEvent, deps: PipelineDeps): Promise<IngestOutcome> {
  const { config } = deps;
  const ignored = foreignEvent(event, deps);
  if (ignored !== undefined) return ignored;
  let ref: BuildRef;
  try {
    ref = parseArtifactKey(event.key, config.keyPrefix);
  } catch (error) {
    if (!isUserInput(error)) throw error;
    await deps.state.create(
      stateKeys.invalidKeyResult(event.key),
      invalidKeyRecord(event.bucket, event.key, error, deps),
    );
    deps.metrics.count('BuildsRejected', 1, { code: error.code });
    deps.log.warn('object key outside the layout', { key: event.key.slice(0, 300), code: error.code });
    return 'rejected';
  }
  const log = deps.log.child({ tenant: ref.tenant, script: ref.script, build: ref.build });
  const stageDeps = { ...deps, log };
  const artifact: ArtifactPointer = {
    bucket: event.bucket,
    key: event.key,
    etag: event.etag,
    size: event.size,
    ...(event.versionId === undefined ? {} : { versionId: event.versionId }),
  };
  // The archive's pinned HEAD goes out with the gate: a read, used (and its failure counted) only when
  // the gate is open and no earlier run stored the manifest.
  const headed = deps.artifacts.head(artifact);
  headed.catch(() => undefined);
  const gate = await readBuildGate(ref, deps);
  if (gate === 'tenant-closed') {
    log.warn('tenant closed; dropping the build', { code: 'tenant.closed' });
    return 'ignored-tenant-closed';
  }
  if (gate === 'has-result') return 'duplicate';
  const order: BuildOrder = { eventTime: event.eventTime, build: ref.build };
  const claim: BuildClaim = { v: 1, ref, artifact, order, claimedAt: deps.now().toISOString() };
  // The claim and the two reads that decide how far an earlier run got go out together.
  const [claimed, progressDoc, manifestDoc] = await Promise.all([
    claimBuild(claim, deps, log),
    deps.state.get(stateKeys.progress(ref)),
    deps.state.get<BuildManifest>(stateKeys.manifest(ref)),
  ]);
  if (!claimed) return 'ignored-id-reused';
  if (progressDoc !== undefined) return 'duplicate';

  let manifest = manifestDoc?.value;
  let stored: Promise<unknown> = Promise.resolve();
  if (manifest === undefined) {
    try {
      manifest = await readManifest(ref, artifact, order, headed, deps);
    } catch (error) {
      if (!isUserInput(error)) throw error;
      await writeResult(
        errorRecord('rejected', ref, artifact, error, deps, cloudflareScriptName(ref)),
        stageDeps,
      );
      return 'rejected';
    }
    // Stored while the session opens; nothing is dispatched before it is (the stages after read it).
    stored = deps.state.put(stateKeys.manifest(ref), manifest);
    deps.metrics.timing('IngestDuration', manifest.ingest.durationMs);
    deps.metrics.bytes('ArtifactBytesRead', manifest.ingest.bytesRead);
  }

  const dispatched = await openAndDispatchSession(manifest, stageDeps, stored);
  if (dispatched.buckets === 0) {
    await enqueueFinalize(
      ref,
      dispatched.sessionId,
      dispatched.completionToken,
      'nothing-to-upload',
      stageDeps,
    );
  }
  const progress: BuildProgress = {
    v: 1,
    sessionId: dispatched.sessionId,
    sessions: 1,
    initialMissing: dispatched.missing,
    initialMissingBytes: dispatched.missingBytes,
    updatedAt: deps.now().toISOString(),
  };
  await deps.state.put(stateKeys.progress(ref), progress);
  deps.metrics.count('AssetsToUpload', dispatched.missing);
  deps.metrics.count('AssetsAlreadyPresent', manifest.stats.uniqueAssets - dispatched.missing);
  log.info('build ingested', {
    assets: manifest.assets.length,
    modules: manifest.modules.length,
    buckets: dispatched.buckets,
    missing: dispatched.missing,
    ingestMs: manifest.ingest.durationMs,
  });
  return 'dispatched';
}
