/**
 * A measured run through local mode in its own process: startLocalStack (s3rver, local SQS, S3
 * notifications, Lambda-style pollers, the real handlers) pointed at the stand-ins' emulator as a "remote"
 * Cloudflare. Local mode is one process, so its peak RSS includes s3rver and local SQS. Modes: `local`
 * (builds one after another) and `fleet` (every build submitted at once). Prints one {@link ChildReport}.
 */
import { readFile } from 'node:fs/promises';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import type { ResultRecord } from '../../lib/pipeline/records.js';
import {
  type ChildReport,
  type ChildSpec,
  type FleetReport,
  peakRssKiB,
  printChildReport,
} from './child-report.js';
import {
  type DeployMeasurement,
  deployThroughLocalMode,
  type LocalProbes,
  putArtifactFile,
} from './deploy-runs.js';
import type { DeployStage } from './in-process.js';
import { benchLogger, countS3 } from './probes.js';
import type { CloudflareTarget } from './stand-ins.js';

async function startProbedStack(cloudflare: CloudflareTarget) {
  const invocations: LocalProbes['invocations'] = [];
  const stack: LocalStack = await startLocalStack({
    remote: { ...cloudflare, baseUrl: cloudflare.url },
    overrides: { log: benchLogger },
    onInvocation: (info) => {
      if (info.functionName === 'teardown') return;
      invocations.push({
        stage: info.functionName as DeployStage,
        ms: info.durationMs,
        failed: info.failed > 0,
      });
    },
  });
  const probes: LocalProbes = {
    s3Counts: countS3(stack.deps.s3, stack.config.artifactsBucket),
    invocations,
  };
  return { stack, probes };
}

/** Submits every build at once and waits for all result records (by listing, not one GET per build). */
async function runFleet(
  stack: LocalStack,
  builds: Array<{ key: string; zipPath: string }>,
): Promise<FleetReport> {
  const submittedAt = Date.now();
  await Promise.all(
    builds.map((build) =>
      putArtifactFile(stack.deps.s3, stack.config.artifactsBucket, build.key, build.zipPath),
    ),
  );
  const allSubmittedAt = Date.now();
  const deadline = Date.now() + 15 * 60 * 1000;
  let keys: string[] = [];
  while (keys.length < builds.length) {
    if (Date.now() > deadline) throw new Error(`fleet: ${keys.length}/${builds.length} results after 15 min`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    keys = [];
    for await (const key of stack.deps.state.list('results/')) keys.push(key);
  }
  const results = await Promise.all(
    keys.map(async (key) => (await stack.deps.state.get<ResultRecord>(key))?.value),
  );
  return { submittedAt, allSubmittedAt, results: results.filter((result) => result !== undefined) };
}

async function main(): Promise<ChildReport> {
  const spec = JSON.parse(await readFile(process.argv[2] ?? '', 'utf8')) as ChildSpec;
  if (spec.mode === 'in-process') throw new Error('local-child runs local and fleet modes');
  const { stack, probes } = await startProbedStack(spec.cloudflare);
  const baselineRssKiB = peakRssKiB();
  const deploys: DeployMeasurement[] = [];
  try {
    if (spec.mode === 'fleet') {
      const fleet = await runFleet(stack, spec.builds);
      return { maxRssKiB: peakRssKiB(), baselineRssKiB, deploys, fleet };
    }
    for (const build of spec.builds) {
      deploys.push(await deployThroughLocalMode(stack, probes, build.key, build.zipPath));
    }
    return { maxRssKiB: peakRssKiB(), baselineRssKiB, deploys };
  } finally {
    await stack.close();
  }
}

printChildReport(await main());
