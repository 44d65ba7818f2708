/** Request records and in-flight counts (overall and per kind) for `stats()`. */
import type { RequestKind } from './faults.js';

/** Request records kept for `stats()`; older ones are dropped. */
const MAX_RECORDS = 10_000;

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
    stats() {
      return {
        requests: [...records],
        inFlight: inFlight.get('all') ?? 0,
        maxInFlight: maxInFlight.get('all') ?? 0,
        maxInFlightByKind: Object.fromEntries([...maxInFlight].filter(([key]) => key !== 'all')) as Partial<
          Record<RequestKind, number>
        >,
        contractViolations: [...violations],
      };
    },
    reset(): void {
      records.length = 0;
      violations.length = 0;
      maxInFlight.clear();
      for (const [key, value] of inFlight) maxInFlight.set(key, value);
    },
  };
}
