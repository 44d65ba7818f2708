/**
 * A measured in-process run in its own process: `node inprocess-child.mjs <spec.json>`, where the .mjs is
 * this file bundled the way serverless.yml bundles the Lambda functions (scripts/bench/bundle.ts), so the
 * peak RSS (VmHWM, the kernel's high-water mark) is that of the pipeline code as deployed. The
 * stand-ins run in another process. Prints one {@link ChildReport} line.
 */
import { readFile } from 'node:fs/promises';
import { type ChildReport, type ChildSpec, peakRssKiB, printChildReport } from './child-report.js';
import { type DeployMeasurement, deployInProcess } from './deploy-runs.js';
import { buildInProcessPipeline } from './pipeline-deps.js';

function traceMemory(): void {
  const usage = process.memoryUsage();
  const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
  console.error(
    `mem rss ${mib(usage.rss)} heap ${mib(usage.heapUsed)}/${mib(usage.heapTotal)} arrayBuffers ${mib(usage.arrayBuffers)} MiB`,
  );
}

async function main(): Promise<ChildReport> {
  const spec = JSON.parse(await readFile(process.argv[2] ?? '', 'utf8')) as ChildSpec;
  if (spec.mode !== 'in-process') throw new Error(`inprocess-child cannot run mode ${spec.mode}`);
  const pipeline = await buildInProcessPipeline(spec.s3Endpoint, spec.cloudflare);
  const baselineRssKiB = peakRssKiB();
  const deploys: DeployMeasurement[] = [];
  // BENCH_DEBUG_MEM=1: a memory line every 200 ms on stderr (how the upload's peak was found).
  const trace = process.env.BENCH_DEBUG_MEM === undefined ? undefined : setInterval(traceMemory, 200);
  try {
    for (const artifact of spec.artifacts) deploys.push(await deployInProcess(pipeline, artifact));
  } finally {
    pipeline.close();
    clearInterval(trace);
  }
  return { maxRssKiB: peakRssKiB(), baselineRssKiB, deploys };
}

printChildReport(await main());
