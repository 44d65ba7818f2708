/**
 * The documents the pipeline keeps in the state bucket, and where each one lives. Messages carry only
 * pointers to these (a build, a session id, a bucket index); the manifest and the bucket plans live here.
 *
 * ```
 * builds/<tenant>/<script>/<build>/claim.json                 write-once: which artifact owns the build id
 * builds/<tenant>/<script>/<build>/manifest.json              the validated artifact (assets, modules, config)
 * builds/<tenant>/<script>/<build>/progress.json              the current upload session (compare-and-swap)
 * builds/<tenant>/<script>/<build>/sessions/<id>/plan.json    one upload session: its buckets' files
 * builds/<tenant>/<script>/<build>/sessions/<id>/done/<i>.json  bucket i of that session was sent
 * scripts/<tenant>/<script>/deploy.json                       deploy pointer + lease (newest build wins)
 * results/<tenant>/<script>/<build>.json                      write-once: the build's terminal result
 * results/_invalid-keys/<sha256 of key>.json                  keys outside the layout
 * tombstones/<tenant>.json                                    the tenant was torn down
 * teardown/<tenant>/<timestamp>.json                          audit record of a teardown
 * ```
 */
import { createHash } from 'node:crypto';
import type { ArtifactAsset, ArtifactModule, EntryLocation, WorkerConfig } from '../artifacts/types.js';
import type { ErrorCategory, ErrorCode } from '../errors.js';
import type { BuildRef } from './identity.js';

const buildBase = (ref: BuildRef) => `builds/${ref.tenant}/${ref.script}/${ref.build}`;
const sessionBase = (ref: BuildRef, sessionId: string) => `${buildBase(ref)}/sessions/${sessionId}`;

/** Keys of every state document. */
export const stateKeys = {
  claim: (ref: BuildRef) => `${buildBase(ref)}/claim.json`,
  manifest: (ref: BuildRef) => `${buildBase(ref)}/manifest.json`,
  progress: (ref: BuildRef) => `${buildBase(ref)}/progress.json`,
  sessionPlan: (ref: BuildRef, sessionId: string) => `${sessionBase(ref, sessionId)}/plan.json`,
  bucketDone: (ref: BuildRef, sessionId: string, index: number) =>
    `${sessionBase(ref, sessionId)}/done/${index}.json`,
  bucketDonePrefix: (ref: BuildRef, sessionId: string) => `${sessionBase(ref, sessionId)}/done/`,
  deployPointer: (ref: Pick<BuildRef, 'tenant' | 'script'>) =>
    `scripts/${ref.tenant}/${ref.script}/deploy.json`,
  result: (ref: BuildRef) => `results/${ref.tenant}/${ref.script}/${ref.build}.json`,
  resultsOfScript: (ref: Pick<BuildRef, 'tenant' | 'script'>) => `results/${ref.tenant}/${ref.script}/`,
  invalidKeyResult: (key: string) =>
    `results/_invalid-keys/${createHash('sha256').update(key).digest('hex')}.json`,
  tombstone: (tenant: string) => `tombstones/${tenant}.json`,
  audit: (tenant: string, timestamp: string) => `teardown/${tenant}/${timestamp}.json`,
  /** Everything of one tenant in the state bucket (the audit trail and tombstone are kept). */
  tenantPrefixes: (tenant: string) => [`builds/${tenant}/`, `scripts/${tenant}/`, `results/${tenant}/`],
};

/** The artifact object, pinned to the exact bytes the event announced. */
export interface ArtifactPointer {
  bucket: string;
  key: string;
  /** The ETag without quotes. */
  etag: string;
  versionId?: string;
  size: number;
}

/**
 * The build order: S3's event time (when S3 accepted the upload, millisecond precision), then the build id
 * (ordinal string comparison) for uploads in the same millisecond. A later-uploaded artifact is newer.
 */
export interface BuildOrder {
  eventTime: string;
  build: string;
}

/** Negative when `a` is older than `b`, positive when newer, zero when equal. */
export function compareBuildOrder(a: BuildOrder, b: BuildOrder): number {
  const byTime = Date.parse(a.eventTime) - Date.parse(b.eventTime);
  if (byTime !== 0) return byTime;
  return a.build < b.build ? -1 : a.build > b.build ? 1 : 0;
}

/** Which artifact owns a build id (written once). */
export interface BuildClaim {
  v: 1;
  ref: BuildRef;
  artifact: ArtifactPointer;
  order: BuildOrder;
  claimedAt: string;
}

/** The validated artifact, as later stages need it. */
export interface BuildManifest {
  v: 1;
  ref: BuildRef;
  scriptName: string;
  tags: string[];
  artifact: ArtifactPointer;
  order: BuildOrder;
  assets: ArtifactAsset[];
  modules: ArtifactModule[];
  config: WorkerConfig;
  stats: { entries: number; assetBytes: number; moduleBytes: number; uniqueAssets: number };
  ingest: { startedAt: string; finishedAt: string; durationMs: number; bytesRead: number };
}

/** One file of a bucket plan: enough to read it from the archive and send it. */
export interface PlannedFile {
  hash: string;
  size: number;
  contentType: string | null;
  location: EntryLocation;
}

/** An upload session's plan: the files of each bucket, in Cloudflare's order. */
export interface SessionPlan {
  v: 1;
  sessionId: string;
  openedAt: string;
  /** The archive the files are read from (so an upload never needs the whole manifest). */
  artifact: ArtifactPointer;
  buckets: PlannedFile[][];
}

/** Which session is current for a build, and what the first one had to upload. */
export interface BuildProgress {
  v: 1;
  sessionId: string;
  sessions: number;
  /** Unique hashes the first session asked for (what this build uploaded). */
  initialMissing: number;
  initialMissingBytes: number;
  updatedAt: string;
}

/** A bucket was sent; `completed` when its response carried the completion token. */
export interface BucketDone {
  v: 1;
  completed: boolean;
  at: string;
  durationMs: number;
  files: number;
  bytes: number;
}

/** The deploy pointer of a script: the deployed build and the lease of a finalize in progress. */
export interface DeployPointer {
  v: 1;
  deployed?: { build: string; order: BuildOrder; at: string };
  /** `holder` identifies one finalize run, so duplicate runs of the same build cannot both deploy. */
  lease?: { build: string; order: BuildOrder; until: string; holder: string };
  /**
   * A PUT of `build` that the client abandoned (timeout, lost connection, 5xx) may still be applied until
   * `until`: no other build deploys before then, so the late PUT cannot overwrite a newer Worker.
   */
  fence?: { build: string; order: BuildOrder; until: string };
}

export type ResultStatus = 'deployed' | 'rejected' | 'failed' | 'superseded';

/** The build system's answer (an API: documented in the README, "Result records"). */
export interface ResultRecord {
  v: 1;
  status: ResultStatus;
  tenant: string;
  script: string;
  build: string;
  scriptName?: string;
  artifact: ArtifactPointer;
  recordedAt: string;
  error?: { category: ErrorCategory; code: ErrorCode; message: string; entry?: string };
  supersededBy?: string;
  tags?: string[];
  counts?: {
    files: number;
    assets: number;
    uniqueAssets: number;
    uploaded: number;
    alreadyPresent: number;
    modules: number;
    uploadSessions: number;
  };
  bytes?: { archive: number; assets: number; uploaded: number; modules: number };
  durations?: { ingestMs?: number; uploadMs?: number; finalizeMs?: number; totalMs?: number };
  cloudflare?: { etag?: string; modifiedOn?: string };
}

/** A record for a key outside the layout. */
export interface InvalidKeyRecord {
  v: 1;
  status: 'rejected';
  bucket: string;
  key: string;
  recordedAt: string;
  error: { category: ErrorCategory; code: ErrorCode; message: string };
}
