/**
 * State documents in the shapes of lib/pipeline/records.ts, for seeding a local state bucket: builds that
 * deployed, were rejected, were superseded, or are still uploading.
 */

import type { FailureNote } from '../../../lib/ops/failure-notes.js';
import type { BuildRef } from '../../../lib/pipeline/identity.js';
import {
  type ArtifactPointer,
  type BucketDone,
  type BuildClaim,
  type BuildProgress,
  type DeployPointer,
  type ResultRecord,
  type SessionPlan,
  stateKeys,
} from '../../../lib/pipeline/records.js';
import type { JsonStore } from '../../../lib/state/json-store.js';

const artifact = (ref: BuildRef): ArtifactPointer => ({
  bucket: 'artifacts',
  key: `${ref.tenant}/${ref.script}/${ref.build}.zip`,
  etag: `etag-${ref.build}`,
  size: 52_431,
});

const at = (minute: number) => new Date(Date.UTC(2026, 10, 22, 10, minute)).toISOString();

/** A build's claim and manifest: a build in flight, just ingested. */
export async function seedClaim(state: JsonStore, ref: BuildRef, minute: number): Promise<void> {
  const claim: BuildClaim = {
    v: 1,
    ref,
    artifact: artifact(ref),
    order: { eventTime: at(minute), build: ref.build },
    claimedAt: at(minute),
  };
  await state.put(stateKeys.claim(ref), claim);
  await state.put(stateKeys.manifest(ref), { v: 1, ref, note: 'status never reads the manifest body' });
}

/** A deployed (or superseded) build's result record with counts and stage durations. */
export function finishedRecord(
  ref: BuildRef,
  status: 'deployed' | 'superseded',
  minute: number,
  supersededBy?: string,
): ResultRecord {
  return {
    v: 1,
    status,
    ...ref,
    scriptName: `${ref.tenant}--${ref.script}`,
    artifact: artifact(ref),
    recordedAt: at(minute),
    ...(supersededBy === undefined ? {} : { supersededBy }),
    tags: [`tenant-${ref.tenant}`],
    counts: {
      files: 12,
      assets: 10,
      uniqueAssets: 9,
      uploaded: 4,
      alreadyPresent: 5,
      modules: 1,
      uploadSessions: 1,
    },
    bytes: { archive: 52_431, assets: 120_000, uploaded: 40_000, modules: 2_000 },
    durations: { ingestMs: 420, uploadMs: 2_300, finalizeMs: 810, totalMs: 3_530 },
    cloudflare: { etag: 'cf-etag' },
  };
}

/**
 * acme/site: b1 superseded by b2, b2 deployed (the pointer's build), b3 rejected (corrupt archive), b4
 * uploading (1 of 3 buckets sent, one failure noted). acme/blog and globex/site have their own results.
 */
export async function seedScriptHistory(state: JsonStore): Promise<void> {
  const site = (build: string): BuildRef => ({ tenant: 'acme', script: 'site', build });
  for (const [build, minute] of [
    ['b1', 1],
    ['b2', 2],
    ['b3', 3],
    ['b4', 4],
  ] as const) {
    await seedClaim(state, site(build), minute);
  }
  await state.put(stateKeys.result(site('b2')), finishedRecord(site('b2'), 'deployed', 12));
  await state.put(stateKeys.result(site('b1')), finishedRecord(site('b1'), 'superseded', 13, 'b2'));
  const rejected: ResultRecord = {
    v: 1,
    status: 'rejected',
    ...site('b3'),
    scriptName: 'acme--site',
    artifact: artifact(site('b3')),
    recordedAt: at(14),
    error: {
      category: 'user-input',
      code: 'artifact.corrupt',
      message: 'Entry public/app.js fails its CRC-32 check: the archive is corrupt.',
      entry: 'public/app.js',
    },
  };
  await state.put(stateKeys.result(site('b3')), rejected);
  const pointer: DeployPointer = {
    v: 1,
    deployed: { build: 'b2', order: { eventTime: at(2), build: 'b2' }, at: at(12) },
  };
  await state.put(stateKeys.deployPointer(site('b2')), pointer);

  const progress: BuildProgress = {
    v: 1,
    sessionId: 'session0004',
    sessions: 2,
    initialMissing: 30,
    initialMissingBytes: 300_000,
    updatedAt: at(20),
  };
  await state.put(stateKeys.progress(site('b4')), progress);
  const plan: SessionPlan = {
    v: 1,
    sessionId: 'session0004',
    openedAt: at(20),
    artifact: artifact(site('b4')),
    buckets: [[], [], []],
  };
  await state.put(stateKeys.sessionPlan(site('b4'), 'session0004'), plan);
  const done: BucketDone = { v: 1, completed: false, at: at(21), durationMs: 900, files: 10, bytes: 100_000 };
  await state.put(stateKeys.bucketDone(site('b4'), 'session0004', 0), done);
  const note: FailureNote = {
    v: 1,
    queue: 'upload',
    messageId: 'msg-b4-1',
    receiveCount: 1,
    failedAt: at(25),
    tenant: 'acme',
    script: 'site',
    build: 'b4',
    stage: 'upload bucket 1 (session session0004)',
    error: {
      category: 'transient',
      code: 'cloudflare.server-error',
      message: 'Cloudflare answered 503; retrying later.',
    },
  };
  await state.put('builds/acme/site/b4/failures/upload.json', note);

  const blog: BuildRef = { tenant: 'acme', script: 'blog', build: 'x1' };
  await state.put(stateKeys.result(blog), finishedRecord(blog, 'deployed', 30));
  const other: BuildRef = { tenant: 'globex', script: 'site', build: 'g1' };
  await state.put(stateKeys.result(other), finishedRecord(other, 'deployed', 31));
}
