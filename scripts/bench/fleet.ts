/**
 * The fleet: 200 builds across 20 tenants (10 scripts each), submitted at once through local mode. Each
 * tenant's builds share ~70% of their files (a tenant's sites look alike), so later sessions of a tenant
 * find some assets already present, as on a real platform. Reports throughput, artifact-to-deployed
 * latency from the result records, and the emulator's peak of concurrent requests.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STAGE_QUEUES } from '../../infra/queues.js';
import type { BenchBundles } from './bundle.js';
import type { ChildReport, ChildSpec } from './child-report.js';
import { runMeasured } from './process-tree.js';
import { startStandIns } from './stand-ins.js';
import { percentile } from './stats.js';
import { generateSite, writeSiteZip } from './workload.js';

export interface FleetSpec {
  tenants: number;
  scriptsPerTenant: number;
  filesPerBuild: number;
  bytesPerBuild: number;
  seed: number;
}

/** One fleet run. */
export interface FleetSample {
  builds: number;
  deployed: number;
  statuses: Record<string, number>;
  makespanMs: number;
  buildsPerMinute: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxInFlight: number;
  requests: number;
}

/** Writes every build's zip; returns their keys and paths. */
export async function prepareFleet(
  spec: FleetSpec,
  dir: string,
): Promise<Array<{ key: string; zipPath: string }>> {
  const builds: Array<{ key: string; zipPath: string }> = [];
  for (let tenant = 1; tenant <= spec.tenants; tenant += 1) {
    for (let script = 1; script <= spec.scriptsPerTenant; script += 1) {
      const site = generateSite({
        files: spec.filesPerBuild,
        bytes: spec.bytesPerBuild,
        seed: spec.seed + tenant,
        changed: { fraction: 0.3, generation: script },
      });
      const tenantId = `tenant${String(tenant).padStart(2, '0')}`;
      const zipPath = join(dir, `${tenantId}-site${script}.zip`);
      await writeSiteZip(site, zipPath, `site${script}`);
      builds.push({ key: `${tenantId}/site${script}/build1.zip`, zipPath });
    }
  }
  return builds;
}

/** The configured cap on concurrent Cloudflare requests of the deploy stages. */
export function cloudflareCap(maxConcurrentRequests: number) {
  const stages = (['ingest', 'upload', 'finalize'] as const).map(
    (stage) => STAGE_QUEUES[stage].maximumConcurrency,
  );
  const invocations = stages.reduce((sum, value) => sum + value, 0);
  return {
    /** AWS: each concurrent invocation has its own client, capped at CLOUDFLARE_MAX_CONCURRENCY. */
    aws: invocations * maxConcurrentRequests,
    invocations,
    /** Local mode: one process, one client, so its semaphore caps everything. */
    local: Math.min(invocations, maxConcurrentRequests),
  };
}

/** Submits the whole fleet through local mode once. */
export async function measureFleet(
  bundles: BenchBundles,
  builds: Array<{ key: string; zipPath: string }>,
  workDir: string,
): Promise<FleetSample> {
  const standIns = await startStandIns();
  try {
    const spec: ChildSpec = { mode: 'fleet', cloudflare: standIns.cloudflare, builds };
    const specPath = join(workDir, 'fleet.json');
    await writeFile(specPath, JSON.stringify(spec));
    const run = await runMeasured(process.execPath, [bundles.local, specPath], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    if (run.exitCode !== 0) throw new Error(`fleet failed (${run.exitCode}): ${run.stderr.slice(-3000)}`);
    const report = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as ChildReport;
    const fleet = report.fleet;
    if (fleet === undefined) throw new Error('the fleet child reported no fleet');
    const stats = await standIns.stats();
    const statuses: Record<string, number> = {};
    for (const result of fleet.results) statuses[result.status] = (statuses[result.status] ?? 0) + 1;
    const deployed = fleet.results.filter((result) => result.status === 'deployed');
    const latencies = deployed.map((result) => result.durations?.totalMs ?? Number.NaN);
    const lastDone = Math.max(...fleet.results.map((result) => Date.parse(result.recordedAt)));
    const makespanMs = lastDone - fleet.submittedAt;
    return {
      builds: builds.length,
      deployed: deployed.length,
      statuses,
      makespanMs,
      buildsPerMinute: (fleet.results.length / makespanMs) * 60_000,
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      p99Ms: percentile(latencies, 99),
      maxInFlight: stats.maxInFlight,
      requests: stats.requests.length,
    };
  } finally {
    await standIns.close();
  }
}
