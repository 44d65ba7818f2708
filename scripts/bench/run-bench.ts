/**
 * The whole benchmark: prepares the workloads (fixed seeds, in a temp dir), then measures end to end
 * (wrangler vs in-process vs local mode, per added latency, runs interleaved so ratios pair up), the
 * small-files site, ingest against its floor, economy and the fleet. `BenchConfig` sizes everything; the
 * smoke test runs the same code with tiny sizes.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchBundles, bundleChildren } from './bundle.js';
import { type FleetSample, type FleetSpec, measureFleet, prepareFleet } from './fleet.js';
import { type IngestPair, measureIngestPair, prepareIngestArchive } from './ingest.js';
import {
  type FollowUp,
  measureInProcess,
  measureLocalMode,
  measureWrangler,
  type PreparedSite,
  type Sample,
} from './measure.js';
import { findWrangler } from './peer.js';
import { generateSite, type SiteSpec, writeSiteProject, writeSiteZip } from './workload.js';

export interface BenchConfig {
  runs: number;
  latencies: number[];
  site: SiteSpec;
  smallFiles?: SiteSpec;
  ingest: Array<{ name: string; bytes: number; files: number }>;
  fleet?: FleetSpec & { runs: number };
  /** Measure wrangler when it is installed. */
  peer: boolean;
  log: (line: string) => void;
}

/** Everything measured, raw (the table is computed from it). */
export interface BenchResults {
  config: Omit<BenchConfig, 'log'>;
  wrangler: string | undefined;
  site: Omit<PreparedSite, 'zipPath' | 'projectDir' | 'followUpZipPath'>;
  samples: Sample[];
  followUps: FollowUp[];
  smallFiles:
    | { site: Omit<PreparedSite, 'zipPath' | 'projectDir' | 'followUpZipPath'>; samples: Sample[] }
    | undefined;
  ingest: Array<{ name: string; files: number; pairs: IngestPair[] }>;
  fleet: FleetSample[];
}

async function prepareSite(spec: SiteSpec, dir: string, followUp: boolean): Promise<PreparedSite> {
  await mkdir(dir, { recursive: true });
  const site = generateSite(spec);
  const zipPath = join(dir, 'site.zip');
  const archiveBytes = await writeSiteZip(site, zipPath, 'site');
  await writeSiteProject(site, join(dir, 'project'), 'site');
  const prepared: PreparedSite = {
    name: `${spec.files.toLocaleString('en-US')} assets / ${(site.totalBytes / 1e6).toFixed(site.totalBytes < 1e7 ? 1 : 0)} MB`,
    files: spec.files,
    bytes: site.totalBytes,
    zipPath,
    archiveBytes,
    projectDir: join(dir, 'project'),
  };
  if (!followUp) return prepared;
  const changed = generateSite({ ...spec, changed: { fraction: 0.05, generation: 1 } });
  prepared.followUpZipPath = join(dir, 'follow-up.zip');
  await writeSiteZip(changed, prepared.followUpZipPath, 'site');
  return prepared;
}

const publicSite = ({ name, files, bytes, archiveBytes }: PreparedSite) => ({
  name,
  files,
  bytes,
  archiveBytes,
});

/** Every subject once at one latency, in a rotating order so no subject always runs first. */
async function measureRound(
  context: { bundles: BenchBundles; wranglerBin: string | undefined; workDir: string },
  site: PreparedSite,
  latencyMs: number,
  run: number,
  subjects: Array<'wrangler' | 'in-process' | 'local-mode'>,
  followUp: boolean,
) {
  const samples: Sample[] = [];
  let follow: FollowUp | undefined;
  const order = subjects.map((_, i) => subjects[(i + run) % subjects.length] as (typeof subjects)[number]);
  for (const subject of order) {
    if (subject === 'wrangler' && context.wranglerBin !== undefined) {
      samples.push(await measureWrangler(context.wranglerBin, site, latencyMs));
    } else if (subject === 'in-process') {
      const measured = await measureInProcess(context.bundles, site, latencyMs, context.workDir, followUp);
      samples.push(measured.sample);
      follow = measured.followUp;
    } else if (subject === 'local-mode') {
      samples.push(await measureLocalMode(context.bundles, site, latencyMs, context.workDir));
    }
  }
  return { samples, followUp: follow };
}

/** Runs the benchmark. */
export async function runBench(config: BenchConfig): Promise<BenchResults> {
  const dir = await mkdtemp(join(tmpdir(), 'workers-drop-bench-'));
  let bundles: BenchBundles | undefined;
  try {
    const log = config.log;
    const wrangler = config.peer ? findWrangler() : undefined;
    log(wrangler === undefined ? 'peer: wrangler not measured' : `peer: wrangler ${wrangler.version}`);
    bundles = await bundleChildren();
    const context = { bundles, wranglerBin: wrangler?.bin, workDir: dir };
    log('generating workloads (fixed seeds)...');
    const site = await prepareSite(config.site, join(dir, 'site'), true);
    const small =
      config.smallFiles === undefined
        ? undefined
        : await prepareSite(config.smallFiles, join(dir, 'small'), false);
    const { log: _log, ...settings } = config;
    const results: BenchResults = {
      config: settings,
      wrangler: wrangler?.version,
      site: publicSite(site),
      samples: [],
      followUps: [],
      smallFiles: small === undefined ? undefined : { site: publicSite(small), samples: [] },
      ingest: [],
      fleet: [],
    };
    const subjects = ['wrangler', 'in-process', 'local-mode'] as const;
    for (const latencyMs of config.latencies) {
      for (let run = 0; run < config.runs; run += 1) {
        const round = await measureRound(context, site, latencyMs, run, [...subjects], latencyMs === 0);
        results.samples.push(...round.samples);
        if (round.followUp !== undefined) results.followUps.push(round.followUp);
        log(
          `end to end, ${site.name}, +${latencyMs} ms: run ${run + 1}/${config.runs} ${describe(round.samples)}`,
        );
      }
    }
    if (small !== undefined && results.smallFiles !== undefined) {
      for (let run = 0; run < config.runs; run += 1) {
        const round = await measureRound(context, small, 0, run, ['wrangler', 'in-process'], false);
        results.smallFiles.samples.push(...round.samples);
        log(`end to end, ${small.name}: run ${run + 1}/${config.runs} ${describe(round.samples)}`);
      }
    }
    for (const workload of config.ingest) {
      const archive = join(dir, `ingest-${workload.files}.zip`);
      log(`generating the ${workload.name} archive...`);
      await prepareIngestArchive(archive, { bytes: workload.bytes, files: workload.files, seed: 1 });
      const pairs: IngestPair[] = [];
      for (let run = 0; run < config.runs; run += 1) {
        pairs.push(await measureIngestPair(bundles.ingest, archive, workload.files));
        log(`ingest ${workload.name}: run ${run + 1}/${config.runs} ratio ${pairs.at(-1)?.ratio.toFixed(2)}`);
      }
      results.ingest.push({ name: workload.name, files: workload.files, pairs });
      await rm(archive, { force: true });
    }
    if (config.fleet !== undefined) {
      const builds = await prepareFleet(config.fleet, await mkdtemp(join(dir, 'fleet-')));
      for (let run = 0; run < config.fleet.runs; run += 1) {
        const sample = await measureFleet(bundles, builds, dir);
        results.fleet.push(sample);
        log(
          `fleet: run ${run + 1}/${config.fleet.runs} ${sample.buildsPerMinute.toFixed(0)} builds/min, p95 ${sample.p95Ms} ms`,
        );
      }
    }
    return results;
  } finally {
    await bundles?.remove();
    await rm(dir, { recursive: true, force: true });
  }
}

const describe = (samples: Sample[]) =>
  samples.map((sample) => `${sample.subject} ${(sample.wallMs / 1000).toFixed(2)} s`).join(', ');
