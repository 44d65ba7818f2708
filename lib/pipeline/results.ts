/**
 * Result records: the build system's answer, written once per build (`If-None-Match: *`), with no token
 * in them. A second writer (a duplicate message) finds the record and stops.
 */
import type { DeployedScript } from '../cloudflare/types.js';
import type { PipelineError } from '../errors.js';
import type { BuildRef } from './identity.js';
import type { PipelineDeps } from './ports.js';
import {
  type ArtifactPointer,
  type BuildManifest,
  type BuildProgress,
  type InvalidKeyRecord,
  type ResultRecord,
  stateKeys,
} from './records.js';

const METRIC_BY_STATUS = {
  deployed: 'BuildsDeployed',
  rejected: 'BuildsRejected',
  failed: 'BuildsFailed',
  superseded: 'BuildsSuperseded',
} as const;

/** Writes the record once; returns false when the build already had one. */
export async function writeResult(record: ResultRecord, deps: PipelineDeps): Promise<boolean> {
  const created = await deps.state.create(stateKeys.result(record), record);
  if (created) {
    deps.metrics.count(
      METRIC_BY_STATUS[record.status],
      1,
      record.error === undefined ? undefined : { code: record.error.code },
    );
    deps.log.info('build result recorded', {
      status: record.status,
      ...(record.error === undefined ? {} : { code: record.error.code, category: record.error.category }),
    });
  }
  return created !== undefined;
}

/** A `rejected` (bad input) or `failed` (Cloudflare refused the build) record. */
export function errorRecord(
  status: 'rejected' | 'failed',
  ref: BuildRef,
  artifact: ArtifactPointer,
  error: PipelineError,
  deps: PipelineDeps,
  scriptName?: string,
): ResultRecord {
  return {
    v: 1,
    status,
    ...ref,
    ...(scriptName === undefined ? {} : { scriptName }),
    artifact,
    recordedAt: deps.now().toISOString(),
    error: error.toJSON(),
  };
}

/** The record of a key outside the layout. */
export function invalidKeyRecord(
  bucket: string,
  key: string,
  error: PipelineError,
  deps: PipelineDeps,
): InvalidKeyRecord {
  const { category, code, message } = error.toJSON();
  return {
    v: 1,
    status: 'rejected',
    bucket,
    key,
    recordedAt: deps.now().toISOString(),
    error: { category, code, message },
  };
}

/** The record of a deployed or superseded build, with counts and stage durations. */
export function buildRecord(
  status: 'deployed' | 'superseded',
  manifest: BuildManifest,
  progress: BuildProgress | undefined,
  timings: { finalizeStartedAt: Date; finishedAt: Date },
  extra: { deployed?: DeployedScript; supersededBy?: string } = {},
): ResultRecord {
  const uploaded = progress?.initialMissing ?? 0;
  const ingestDone = Date.parse(manifest.ingest.finishedAt);
  return {
    v: 1,
    status,
    ...manifest.ref,
    scriptName: manifest.scriptName,
    artifact: manifest.artifact,
    recordedAt: timings.finishedAt.toISOString(),
    ...(extra.supersededBy === undefined ? {} : { supersededBy: extra.supersededBy }),
    tags: manifest.tags,
    counts: {
      files: manifest.stats.entries,
      assets: manifest.assets.length,
      uniqueAssets: manifest.stats.uniqueAssets,
      uploaded,
      alreadyPresent: manifest.stats.uniqueAssets - uploaded,
      modules: manifest.modules.length,
      uploadSessions: progress?.sessions ?? 1,
    },
    bytes: {
      archive: manifest.artifact.size,
      assets: manifest.stats.assetBytes,
      uploaded: progress?.initialMissingBytes ?? 0,
      modules: manifest.stats.moduleBytes,
    },
    durations: {
      ingestMs: manifest.ingest.durationMs,
      uploadMs: Math.max(0, timings.finalizeStartedAt.getTime() - ingestDone),
      finalizeMs: timings.finishedAt.getTime() - timings.finalizeStartedAt.getTime(),
      totalMs: Math.max(0, timings.finishedAt.getTime() - Date.parse(manifest.order.eventTime)),
    },
    ...(extra.deployed === undefined
      ? {}
      : {
          cloudflare: {
            ...(extra.deployed.etag === undefined ? {} : { etag: extra.deployed.etag }),
            ...(extra.deployed.modifiedOn === undefined ? {} : { modifiedOn: extra.deployed.modifiedOn }),
          },
        }),
  };
}
