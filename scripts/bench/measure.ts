/**
 * One measured deploy of a prepared site by one subject: the peer (wrangler), our pipeline in-process,
 * or our pipeline through local mode. Each gets fresh stand-ins (an empty emulator, so every asset is
 * new), the same added latency, and its own measured process.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AssetAudit, EmulatorStats } from '../../infra/local/cloudflare/index.js';
import { type BenchBundles, LAMBDA_NODE_FLAGS, LAMBDA_PROCESS_ENV } from './bundle.js';
import type { ChildReport, ChildSpec } from './child-report.js';
import { createBenchS3Client, type DeployMeasurement, putArtifactFile } from './deploy-runs.js';
import { runWranglerDeploy } from './peer.js';
import { BENCH_ARTIFACTS_BUCKET } from './pipeline-deps.js';
import { runMeasured } from './process-tree.js';
import { startStandIns } from './stand-ins.js';

/** A site ready to deploy: its zip (ours) and its wrangler project (the peer). */
export interface PreparedSite {
  name: string;
  files: number;
  bytes: number;
  zipPath: string;
  archiveBytes: number;
  projectDir: string;
  /** The same site with some files changed (a follow-up build). */
  followUpZipPath?: string;
}

export type Subject = 'wrangler' | 'in-process' | 'local-mode';

/** What one deploy measured. */
export interface Sample {
  subject: Subject;
  latencyMs: number;
  wallMs: number;
  peakRssKiB: number;
  /** Cloudflare requests by kind, from the emulator. */
  requests: Record<string, number>;
  maxInFlight: number;
  /** What the session asked for and which hashes were uploaded, from the emulator. */
  audit: AssetAudit;
  deploy?: DeployMeasurement;
  baselineRssKiB?: number;
}

/** The follow-up build's economy (in-process, no faults). */
export interface FollowUp {
  wallMs: number;
  requests: Record<string, number>;
  audit: AssetAudit;
  deploy: DeployMeasurement;
}

const countKinds = (stats: EmulatorStats): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const request of stats.requests) out[request.kind] = (out[request.kind] ?? 0) + 1;
  return out;
};

/** The emulator's asset audit; one that overflowed its bound could not back an "unasked uploads" figure. */
function auditOf(stats: EmulatorStats): AssetAudit {
  if (stats.assets.truncated) throw new Error('the emulator asset audit overflowed its bound');
  return stats.assets;
}

/** What a sample takes from the emulator's stats. */
const emulatorFigures = (stats: EmulatorStats): Pick<Sample, 'requests' | 'maxInFlight' | 'audit'> => ({
  requests: countKinds(stats),
  maxInFlight: stats.maxInFlight,
  audit: auditOf(stats),
});

/** A measurement of a build that did not deploy would be meaningless: stop the benchmark instead. */
function requireDeployed(deploy: DeployMeasurement | undefined, label: string): DeployMeasurement {
  if (deploy === undefined) throw new Error(`${label}: the child reported no deploy`);
  if (deploy.result.status !== 'deployed') {
    throw new Error(
      `${label}: the build was ${deploy.result.status}: ${JSON.stringify(deploy.result.error)}`,
    );
  }
  return deploy;
}

async function runChild(bundle: string, spec: ChildSpec, workDir: string, label: string) {
  const specPath = join(workDir, `${label}.json`);
  await writeFile(specPath, JSON.stringify(spec));
  const functionLike = spec.mode === 'in-process';
  const run = await runMeasured(
    process.execPath,
    [...(functionLike ? LAMBDA_NODE_FLAGS : []), bundle, specPath],
    {
      env: {
        ...process.env,
        ...(functionLike ? LAMBDA_PROCESS_ENV : {}),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    },
  );
  if (run.exitCode !== 0) throw new Error(`${label} failed (${run.exitCode}): ${run.stderr.slice(-3000)}`);
  const report = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as ChildReport;
  if (run.stderr.trim() !== '') process.stderr.write(`${label}: ${run.stderr.slice(-2000)}\n`);
  return { run, report };
}

/** wrangler deploy of the site's project. */
export async function measureWrangler(bin: string, site: PreparedSite, latencyMs: number): Promise<Sample> {
  const standIns = await startStandIns();
  try {
    await standIns.setFaults({ latencyMs });
    const run = await runWranglerDeploy(bin, site.projectDir, standIns.cloudflare);
    const stats = await standIns.stats();
    return {
      subject: 'wrangler',
      latencyMs,
      wallMs: run.wallMs,
      peakRssKiB: Math.max(run.peakTreeRssKiB, run.peakProcessHwmKiB),
      ...emulatorFigures(stats),
    };
  } finally {
    await standIns.close();
  }
}

/** Our pipeline in-process; with `followUp`, then the changed build of the same tenant and script. */
export async function measureInProcess(
  bundles: BenchBundles,
  site: PreparedSite,
  latencyMs: number,
  workDir: string,
  followUp = false,
): Promise<{ sample: Sample; followUp?: FollowUp }> {
  const standIns = await startStandIns();
  const s3 = createBenchS3Client(standIns.s3Endpoint);
  try {
    await standIns.setFaults({ latencyMs });
    const artifact = await putArtifactFile(s3, BENCH_ARTIFACTS_BUCKET, 'bench/site/b1.zip', site.zipPath);
    await standIns.resetStats();
    const spec: ChildSpec = {
      mode: 'in-process',
      s3Endpoint: standIns.s3Endpoint,
      cloudflare: standIns.cloudflare,
      artifacts: [artifact],
    };
    const { run, report } = await runChild(bundles.inProcess, spec, workDir, 'in-process');
    const stats = await standIns.stats();
    const deploy = requireDeployed(report.deploys[0], 'in-process');
    const sample: Sample = {
      subject: 'in-process',
      latencyMs,
      wallMs: deploy.wallMs,
      peakRssKiB: Math.max(report.maxRssKiB, run.peakProcessHwmKiB),
      baselineRssKiB: report.baselineRssKiB,
      ...emulatorFigures(stats),
      deploy,
    };
    if (!followUp || site.followUpZipPath === undefined) return { sample };
    const next = await putArtifactFile(s3, BENCH_ARTIFACTS_BUCKET, 'bench/site/b2.zip', site.followUpZipPath);
    await standIns.resetStats();
    const second = await runChild(bundles.inProcess, { ...spec, artifacts: [next] }, workDir, 'follow-up');
    const secondDeploy = requireDeployed(second.report.deploys[0], 'follow-up');
    const secondStats = await standIns.stats();
    return {
      sample,
      followUp: {
        wallMs: secondDeploy.wallMs,
        requests: countKinds(secondStats),
        audit: auditOf(secondStats),
        deploy: secondDeploy,
      },
    };
  } finally {
    s3.destroy();
    await standIns.close();
  }
}

/** Our pipeline through local mode's queues and pollers (its own s3rver and SQS, the stand-ins' emulator). */
export async function measureLocalMode(
  bundles: BenchBundles,
  site: PreparedSite,
  latencyMs: number,
  workDir: string,
): Promise<Sample> {
  const standIns = await startStandIns();
  try {
    await standIns.setFaults({ latencyMs });
    const spec: ChildSpec = {
      mode: 'local',
      cloudflare: standIns.cloudflare,
      builds: [{ key: 'bench/site/b1.zip', zipPath: site.zipPath }],
    };
    const { run, report } = await runChild(bundles.local, spec, workDir, 'local-mode');
    const stats = await standIns.stats();
    const deploy = requireDeployed(report.deploys[0], 'local mode');
    return {
      subject: 'local-mode',
      latencyMs,
      wallMs: deploy.wallMs,
      peakRssKiB: Math.max(report.maxRssKiB, run.peakProcessHwmKiB),
      baselineRssKiB: report.baselineRssKiB,
      ...emulatorFigures(stats),
      deploy,
    };
  } finally {
    await standIns.close();
  }
}
