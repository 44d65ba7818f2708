/**
 * Where an unfinished build is, from what its folder in the state bucket holds (claim, manifest,
 * progress, session plan, bucket markers) and the script's deploy lease. The manifest itself is never
 * read (it can be megabytes): its presence is enough.
 */
import type { BuildRef } from '../pipeline/identity.js';
import {
  type BucketDone,
  type BuildClaim,
  type BuildProgress,
  type DeployPointer,
  stateKeys,
} from '../pipeline/records.js';
import type { FailureNote } from './failure-notes.js';
import { plural } from './format.js';
import type { StateReader } from './state-reads.js';

/** A build without a result record. */
export interface BuildInFlight {
  build: string;
  stage: 'ingest' | 'upload' | 'finalize';
  /** What the stage is waiting for, in words. */
  detail: string;
  claimedAt?: string;
  eventTime?: string;
  sessionId?: string;
  /** Upload sessions opened so far (more than one: tokens expired or a completion was lost). */
  sessions?: number;
  bucketsSent?: number;
  /** Buckets of the current session (detail view only: it reads the session plan). */
  bucketsTotal?: number;
  /** A bucket response carried the completion token (detail view only). */
  completionReceived?: boolean;
  updatedAt?: string;
  /** Failure notes of the build (its last failure per queue before a DLQ). */
  failures: FailureNote[];
}

const failuresPrefix = (ref: BuildRef) => `builds/${ref.tenant}/${ref.script}/${ref.build}/failures/`;

/** Reads an unfinished build's stage; `detailed` also reads the session plan and bucket markers. */
export async function readBuildInFlight(
  state: StateReader,
  ref: BuildRef,
  pointer: DeployPointer | undefined,
  now: Date,
  detailed = false,
): Promise<BuildInFlight> {
  const keys = new Set(
    (await state.list(`builds/${ref.tenant}/${ref.script}/${ref.build}/`)).map((item) => item.key),
  );
  const [claim, progress, ...failures] = await Promise.all([
    keys.has(stateKeys.claim(ref)) ? state.get<BuildClaim>(stateKeys.claim(ref)) : undefined,
    keys.has(stateKeys.progress(ref)) ? state.get<BuildProgress>(stateKeys.progress(ref)) : undefined,
    ...[...keys]
      .filter((key) => key.startsWith(failuresPrefix(ref)))
      .map((key) => state.get<FailureNote>(key)),
  ]);
  const base = {
    build: ref.build,
    ...(claim === undefined ? {} : { claimedAt: claim.claimedAt, eventTime: claim.order.eventTime }),
    failures: failures.filter((note): note is FailureNote => note !== undefined),
  };
  if (!keys.has(stateKeys.manifest(ref))) {
    return { ...base, stage: 'ingest', detail: 'claimed; reading and validating the archive' };
  }
  if (progress === undefined) {
    return { ...base, stage: 'ingest', detail: 'manifest stored; opening the upload session' };
  }
  const session = {
    sessionId: progress.sessionId,
    sessions: progress.sessions,
    updatedAt: progress.updatedAt,
  };
  const lease = pointer?.lease;
  if (lease?.build === ref.build && Date.parse(lease.until) > now.getTime()) {
    return { ...base, ...session, stage: 'finalize', detail: `deploying (lease until ${lease.until})` };
  }
  if (!keys.has(stateKeys.sessionPlan(ref, progress.sessionId))) {
    return { ...base, ...session, stage: 'finalize', detail: 'nothing to upload; waiting for finalize' };
  }
  const doneKeys = [...keys].filter((key) =>
    key.startsWith(stateKeys.bucketDonePrefix(ref, progress.sessionId)),
  );
  const upload = { ...base, ...session, stage: 'upload' as const, bucketsSent: doneKeys.length };
  if (!detailed) return { ...upload, detail: `${plural(doneKeys.length, 'bucket')} sent` };
  const [plan, ...markers] = await Promise.all([
    state.get<{ buckets: unknown[] }>(stateKeys.sessionPlan(ref, progress.sessionId)),
    ...doneKeys.map((key) => state.get<BucketDone>(key)),
  ]);
  const total = plan?.buckets.length ?? 0;
  const completionReceived = markers.some((marker) => marker?.completed === true);
  return {
    ...upload,
    ...(completionReceived ? { stage: 'finalize' as const } : {}),
    bucketsTotal: total,
    completionReceived,
    detail: completionReceived
      ? 'upload complete; waiting for finalize'
      : `${doneKeys.length} of ${total} buckets sent`,
  };
}
