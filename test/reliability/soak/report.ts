/** The soak's figures: outcomes, retries at each layer, DLQ counts, timings and the emulator's view. */
import type { EmulatorStats } from '../../../infra/local/cloudflare/index.js';
import type { RecordingMetrics } from '../../../lib/metrics.js';
import type { QueueName } from '../../../lib/pipeline/ports.js';
import type { ResultRecord } from '../../../lib/pipeline/records.js';
import type { concurrencyCap } from './checks.js';
import type { WorkerObservations } from './observe.js';
import { type SoakBuild, scriptOf } from './workload.js';

export interface SoakFigures {
  builds: number;
  tenants: number;
  scripts: number;
  results: Record<string, number>;
  timings: { drainMs: number; replayMs: number; totalMs: number };
  dlq: {
    beforeReplay: Record<QueueName, number>;
    /** Messages moved back per queue, over every replay round. */
    replayed: Partial<Record<QueueName, number>>;
    rounds: number;
  };
  retries: {
    /** Retries inside the Cloudflare client (same invocation), by HTTP status or error code. */
    client: number;
    clientByStatus: Record<string, number>;
    /** Records handed back to SQS for redelivery, by error code. */
    redeliveries: number;
    redeliveriesByCode: Record<string, number>;
    sessionsReopened: number;
  };
  emulator: {
    requests: number;
    requestsByKind: Record<string, number>;
    faults: Record<string, number>;
    maxInFlight: number;
    maxInFlightByKind: EmulatorStats['maxInFlightByKind'];
    cap: ReturnType<typeof concurrencyCap>;
  };
  workerStatesObserved: number;
  messagesSent: number;
  logLines: number;
}

const tally = (values: string[]) => {
  const out: Record<string, number> = {};
  for (const value of values) out[value] = (out[value] ?? 0) + 1;
  return out;
};

function byDimension(metrics: RecordingMetrics, name: string, dimension: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const point of metrics.points) {
    if (point.name !== name) continue;
    const key = point.dimensions?.[dimension] ?? '?';
    out[key] = (out[key] ?? 0) + point.value;
  }
  return out;
}

/** Builds the figures. */
export function summarise(input: {
  builds: SoakBuild[];
  results: Map<string, ResultRecord>;
  metrics: RecordingMetrics;
  stats: EmulatorStats;
  cap: ReturnType<typeof concurrencyCap>;
  observations: WorkerObservations;
  timings: SoakFigures['timings'];
  dlq: SoakFigures['dlq'];
  messagesSent: number;
  logLines: number;
}): SoakFigures {
  const { builds, metrics, stats } = input;
  const statuses = builds.map((build) => input.results.get(build.key)?.status ?? 'missing');
  return {
    builds: builds.length,
    tenants: new Set(builds.map((build) => build.tenant)).size,
    scripts: new Set(builds.map(scriptOf)).size,
    results: tally(statuses),
    timings: input.timings,
    dlq: input.dlq,
    retries: {
      client: metrics.total('CloudflareRetries'),
      clientByStatus: byDimension(metrics, 'CloudflareRetries', 'status'),
      redeliveries: metrics.total('RecordFailures'),
      redeliveriesByCode: byDimension(metrics, 'RecordFailures', 'code'),
      sessionsReopened: metrics.total('UploadSessionsReopened'),
    },
    emulator: {
      requests: stats.requests.length,
      requestsByKind: tally(stats.requests.map((request) => request.kind)),
      faults: tally(
        stats.requests.flatMap((request) => (request.fault === undefined ? [] : [request.fault])),
      ),
      maxInFlight: stats.maxInFlight,
      maxInFlightByKind: stats.maxInFlightByKind,
      cap: input.cap,
    },
    workerStatesObserved: input.observations.changes,
    messagesSent: input.messagesSent,
    logLines: input.logLines,
  };
}
