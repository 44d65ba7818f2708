/** Request records and in-flight counts (overall and per kind) for `stats()`. */
import type { RequestKind } from './faults.js';

/** Request records kept for `stats()`; older ones are dropped. */
const MAX_RECORDS = 10_000;
/** Hashes the asset audit keeps (asked plus received, a Paid session's 100,000 files); then it stops. */
const MAX_AUDITED_HASHES = 200_000;

/**
 * What upload sessions asked for and which hashes bucket uploads carried, since the last reset: the
 * audit behind "no asset the session did not ask for is ever uploaded", taken where the bytes arrive
 * rather than in the client being measured.
 */
export interface AssetAudit {
  /** Upload sessions opened. */
  sessions: number;
  /** The buckets each session asked for, in order. */
  askedBuckets: string[][];
  /** Bucket upload requests whose multipart body could be read. */
  uploads: number;
  /** The part names (hashes) of those uploads, as received, whether or not they were accepted. */
  uploadedHashes: string[];
  /** True once the audit held {@link MAX_AUDITED_HASHES} and stopped recording. */
  truncated: boolean;
}

const emptyAudit = (): AssetAudit => ({
  sessions: 0,
  askedBuckets: [],
  uploads: 0,
  uploadedHashes: [],
  truncated: false,
});

/** One handled request, for tests and benchmarks. `status` 0: no answer (dropped, stalled, lost). */
export interface RequestRecord {
  method: string;
  path: string;
  kind: RequestKind;
  status: number;
  ms: number;
  fault?: string;
}

/** Tracks requests of one emulator. */
export function createStatsTracker() {
  const records: RequestRecord[] = [];
  const violations: string[] = [];
  const inFlight = new Map<RequestKind | 'all', number>();
  let audit = emptyAudit();
  let auditedHashes = 0;
  /** False (and the audit marked truncated) when `count` more hashes would pass the bound. */
  const roomFor = (count: number): boolean => {
    if (audit.truncated || auditedHashes + count > MAX_AUDITED_HASHES) {
      audit.truncated = true;
      return false;
    }
    auditedHashes += count;
    return true;
  };
  const maxInFlight = new Map<RequestKind | 'all', number>();
  const bump = (key: RequestKind | 'all', by: number) => {
    const next = (inFlight.get(key) ?? 0) + by;
    inFlight.set(key, next);
    if (by > 0) maxInFlight.set(key, Math.max(maxInFlight.get(key) ?? 0, next));
  };
  return {
    /** Counts a request in; call the returned function (once is enough) when it is over. */
    enter(kind: RequestKind): () => void {
      bump('all', 1);
      bump(kind, 1);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        bump('all', -1);
        bump(kind, -1);
      };
    },
    record(entry: RequestRecord): void {
      records.push(entry);
      if (records.length > MAX_RECORDS) records.shift();
    },
    violation(description: string): void {
      violations.push(description);
    },
    /** An upload session was opened and asked for `buckets`. */
    sessionOpened(buckets: readonly string[][]): void {
      audit.sessions += 1;
      if (!roomFor(buckets.reduce((sum, bucket) => sum + bucket.length, 0))) return;
      for (const bucket of buckets) audit.askedBuckets.push([...bucket]);
    },
    /** A bucket upload's body was read; `hashes` are its part names. */
    partsReceived(hashes: readonly string[]): void {
      audit.uploads += 1;
      // One push per hash: spreading ~100,000 arguments overflows the stack.
      if (roomFor(hashes.length)) for (const hash of hashes) audit.uploadedHashes.push(hash);
    },
    stats() {
      return {
        requests: [...records],
        inFlight: inFlight.get('all') ?? 0,
        maxInFlight: maxInFlight.get('all') ?? 0,
        maxInFlightByKind: Object.fromEntries([...maxInFlight].filter(([key]) => key !== 'all')) as Partial<
          Record<RequestKind, number>
        >,
        contractViolations: [...violations],
        assets: {
          ...audit,
          askedBuckets: audit.askedBuckets.map((bucket) => [...bucket]),
          uploadedHashes: [...audit.uploadedHashes],
        },
      };
    },
    reset(): void {
      records.length = 0;
      violations.length = 0;
      audit = emptyAudit();
      auditedHashes = 0;
      maxInFlight.clear();
      for (const [key, value] of inFlight) maxInFlight.set(key, value);
    },
  };
}
