/**
 * The finalize stage: the stale-build guard, then the script PUT into the dispatch namespace with the
 * completion token, bindings and tags, then the result record.
 *
 * Order of effects, and why each is safe to repeat:
 * 1. a build that already has its result record stops (duplicate finalize, replay);
 * 2. the deploy lease (compare-and-swap) decides superseded / wait / go;
 * 3. an expired completion token re-opens the session from the stored manifest (nothing lost);
 * 4. the PUT is idempotent for the same build (same modules, same metadata);
 * 5. after the PUT, a tenant closed meanwhile gets its Worker deleted again (teardown race);
 * 6. the pointer records the build as deployed, then the write-once result record is written.
 * A PUT attempt the client abandoned may still be applied by Cloudflare later; such a run leaves a fence
 * in the deploy pointer (lib/pipeline/deploy-guard.ts) so that no other build deploys before it could land.
 */
import { isPipelineError, PipelineError } from '../errors.js';
import { acquireDeployLease, completeDeploy, releaseDeployLease } from './deploy-guard.js';
import { isTenantClosed, readBuildGate } from './ingest.js';
import type { FinalizeMessage } from './messages.js';
import type { PipelineDeps } from './ports.js';
import { type BuildManifest, type BuildProgress, type DeployPointer, stateKeys } from './records.js';
import { buildRecord, errorRecord, writeResult } from './results.js';
import { buildScriptMetadata, buildScriptModules } from './script-metadata.js';
import { reopenSession } from './sessions.js';
import { openUsableToken } from './upload.js';

export type FinalizeOutcome =
  | 'deployed'
  | 'superseded'
  | 'failed'
  | 'duplicate'
  | 'reopened'
  | 'stale'
  | 'skipped-tenant-closed'
  | 'removed-tenant-closed';

async function loadModules(manifest: BuildManifest, deps: PipelineDeps): Promise<Buffer[]> {
  if (manifest.modules.length === 0) return [];
  const source = await deps.artifacts.open(manifest.artifact);
  try {
    return await deps.artifacts.readEntries(
      source,
      manifest.modules.map((module) => module.location),
    );
  } finally {
    await source.close();
  }
}

/** True when a failed PUT may have reached Cloudflare and be applied after the client gave up on it. */
const mayStillLand = (error: unknown): boolean => isPipelineError(error) && error.category === 'transient';

/** Re-opens the session when the completion token is unusable; returns what the message should do. */
async function recoverToken(
  message: FinalizeMessage,
  manifest: BuildManifest,
  progress: BuildProgress | undefined,
  holder: string,
  deps: PipelineDeps,
): Promise<'reopened' | 'stale'> {
  await releaseDeployLease(deps.state, message.ref, holder);
  if (progress !== undefined && progress.sessionId !== message.sessionId) return 'stale';
  await reopenSession(manifest, message.sessionId, deps);
  return 'reopened';
}

/** Runs the finalize stage for one build. */
export async function finalizeBuild(message: FinalizeMessage, deps: PipelineDeps): Promise<FinalizeOutcome> {
  const { ref } = message;
  const started = deps.now();
  // The build's documents and the script's deploy pointer are read beside the gate, which decides whether
  // they count.
  const documents = Promise.all([
    deps.state.get<BuildManifest>(stateKeys.manifest(ref)),
    deps.state.get<BuildProgress>(stateKeys.progress(ref)),
    deps.state.get<DeployPointer>(stateKeys.deployPointer(ref)),
  ]);
  documents.catch(() => undefined);
  const gate = await readBuildGate(ref, deps);
  if (gate === 'tenant-closed') return 'skipped-tenant-closed';
  if (gate === 'has-result') return 'duplicate';
  const [manifestDoc, progressDoc, pointerDoc] = await documents;
  if (manifestDoc === undefined) {
    throw new PipelineError(
      'build.purged',
      'The build state is gone (the tenant was torn down or the state purged).',
    );
  }
  const manifest = manifestDoc.value;
  const progress = progressDoc?.value;

  // The modules are read from the archive while the lease is taken (wasted only when it is refused).
  const modules = loadModules(manifest, deps);
  modules.catch(() => undefined);
  const holder = deps.newSessionId();
  const lease = await acquireDeployLease(
    deps.state,
    ref,
    manifest.order,
    started,
    deps.config.deployLeaseSeconds,
    holder,
    { known: pointerDoc ?? null },
  );
  if (lease.kind === 'busy') {
    throw new PipelineError(
      'build.busy',
      `Build ${lease.holder} of this script is deploying; retrying later.`,
      {
        retryAfterMs: lease.retryAfterMs,
      },
    );
  }
  if (lease.kind === 'superseded') {
    const record = buildRecord(
      'superseded',
      manifest,
      progress,
      { finalizeStartedAt: started, finishedAt: deps.now() },
      {
        supersededBy: lease.by,
      },
    );
    await writeResult(record, deps);
    return 'superseded';
  }
  if (lease.kind === 'already-deployed') {
    // Crashed after the pointer moved but before the record: write the record now.
    await writeResult(
      buildRecord('deployed', manifest, progress, { finalizeStartedAt: started, finishedAt: deps.now() }),
      deps,
    );
    return 'duplicate';
  }

  const needsToken = manifest.assets.length > 0;
  const completionToken = needsToken ? openUsableToken(message.token, deps) : undefined;
  if (needsToken && completionToken === undefined)
    return recoverToken(message, manifest, progress, holder, deps);

  let deployed: Awaited<ReturnType<PipelineDeps['cloudflare']['deployScript']>>;
  let putStartedAt: number | undefined;
  try {
    const scriptModules = buildScriptModules(manifest, await modules);
    putStartedAt = deps.now().getTime();
    deployed = await deps.cloudflare.deployScript(deps.config.cloudflare.namespace, manifest.scriptName, {
      modules: scriptModules,
      metadata: buildScriptMetadata(manifest, completionToken),
    });
  } catch (error) {
    if (isPipelineError(error) && error.code === 'cloudflare.token-expired') {
      return recoverToken(message, manifest, progress, holder, deps);
    }
    if (isPipelineError(error) && error.category === 'user-input') {
      await releaseDeployLease(deps.state, ref, holder);
      await writeResult(
        errorRecord('failed', ref, manifest.artifact, error, deps, manifest.scriptName),
        deps,
      );
      return 'failed';
    }
    // A PUT that failed transiently (timed out, connection lost, 5xx) may still be applied later: fence.
    const fence = putStartedAt !== undefined && mayStillLand(error);
    await releaseDeployLease(deps.state, ref, holder, { fence }).catch(() => undefined);
    throw error;
  }

  if (await isTenantClosed(ref.tenant, deps)) {
    // A teardown ran while we deployed: take the Worker down again so nothing of the tenant survives.
    await deps.cloudflare.deleteScript(deps.config.cloudflare.namespace, manifest.scriptName);
    deps.log.warn('tenant closed during the deploy; the Worker was removed again', { code: 'tenant.closed' });
    return 'removed-tenant-closed';
  }
  // The client abandons an attempt only after the attempt timeout: a shorter PUT left nothing behind,
  // while a longer one may have an abandoned attempt that Cloudflare still applies.
  const fence = deps.now().getTime() - putStartedAt >= deps.config.cloudflare.attemptTimeoutMs;
  await completeDeploy(deps.state, ref, manifest.order, deps.now(), holder, {
    fence,
    known: lease.pointer,
  });
  const finished = deps.now();
  await writeResult(
    buildRecord(
      'deployed',
      manifest,
      progress,
      { finalizeStartedAt: started, finishedAt: finished },
      { deployed },
    ),
    deps,
  );
  deps.metrics.timing('FinalizeDuration', finished.getTime() - started.getTime());
  deps.metrics.timing('EndToEndDuration', finished.getTime() - Date.parse(manifest.order.eventTime));
  return 'deployed';
}
