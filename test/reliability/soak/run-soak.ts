/**
 * The fault soak: builds across tenants through local mode's real queues (s3rver, local SQS with DLQs)
 * and the Cloudflare emulator injecting 5xx, 429 with Retry-After, dropped connections, lost 201s and
 * latency spikes past the per-attempt timeout. After the drain (and a DLQ replay with faults off, if
 * anything parked) it checks the invariants and reports retries, DLQ counts and timings. Used by
 * test/reliability/soak.test.ts (small) and scripts/soak.ts (`npm run soak`, the full 300 builds).
 */
import { LOCAL_NAMESPACE } from '../../../infra/local/stack.js';
import { zipFiles } from '../../../infra/local/zip.js';
import { STAGE_NAMES } from '../../../infra/queues.js';
import { createRecordingLogger } from '../../../lib/log.js';
import { createRecordingMetrics } from '../../../lib/metrics.js';
import { readQueueDepth } from '../../../lib/ops/dlq-messages.js';
import { replayQueue } from '../../../lib/ops/replay.js';
import type { QueueName } from '../../../lib/pipeline/ports.js';
import type { ResultRecord } from '../../../lib/pipeline/records.js';
import { containsSecret, registerSecret } from '../../../lib/redact.js';
import { putArtifact } from '../../helpers/local-stack.js';
import { captureSentBodies, createRawLogger } from '../helpers/capture.js';
import { startLambdaStack } from '../helpers/lambda-stack.js';
import { type Check, checkInvariants, concurrencyCap } from './checks.js';
import { observeWorkers } from './observe.js';
import { type SoakFigures, summarise } from './report.js';
import { createWorkload, type WorkloadShape } from './workload.js';

export interface SoakOptions extends WorkloadShape {
  /** Gives up waiting for the drain after this long. */
  timeoutMs: number;
  /**
   * Receives before upload and finalize messages park in their DLQs (default: the stack's 8). A small
   * value parks messages (busy leases, repeated faults) so that the DLQ replay at the end is exercised.
   */
  maxReceiveCount?: number;
  onProgress?: (line: string) => void;
}

export interface SoakReport {
  checks: Check[];
  figures: SoakFigures;
}

/** The per-attempt timeout; the injected latency spikes last longer. */
const ATTEMPT_TIMEOUT_MS = 1_000;
const UPLOAD_TIMEOUT_MS = 1_500;
const SPIKE_MS = 2_500;
/** Requests in flight per function instance: the value the stack deploys (serverless.yml). */
const CLIENT_CONCURRENCY = 2;

/** The fault mix: 10% 5xx, 5% 429, 1% drops, occasional lost 201s, and spikes. */
export const SOAK_FAULTS = {
  errorRates: { 500: 0.04, 502: 0.02, 503: 0.02, 524: 0.02, 429: 0.05 },
  retryAfterSeconds: 1,
  dropRate: 0.01,
  lost201Rate: 0.05,
  stallRate: 0.02,
  stallMs: SPIKE_MS,
  latencyMs: { min: 0, max: 15 },
} as const;

/** Replay rounds before the soak gives up on a DLQ that keeps filling. */
const MAX_REPLAY_ROUNDS = 5;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs the soak; the stack is always closed, whatever happens. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const progress = options.onProgress ?? (() => undefined);
  const recorded = createRecordingLogger({ service: 'soak' });
  const log = createRawLogger(recorded);
  const metrics = createRecordingMetrics();
  const bodies: string[] = [];
  const receives = options.maxReceiveCount === undefined ? {} : { maxReceiveCount: options.maxReceiveCount };
  const lambda = await startLambdaStack({
    log,
    metrics,
    onSqsClient: (client) => captureSentBodies(client, bodies),
    // A repeated upload after the set completed answers 202 (Cloudflare's answer is unconfirmed): a lost
    // 201 is then only recovered by re-opening the session, the harder of the two paths.
    emulator: { bucketMaxFiles: 2, repeatAfterComplete: '202' },
    env: {
      RETRY_BASE_SECONDS: '1',
      CLOUDFLARE_RETRIES: '2',
      CLOUDFLARE_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS),
      CLOUDFLARE_UPLOAD_TIMEOUT_MS: String(UPLOAD_TIMEOUT_MS),
      CLOUDFLARE_MAX_CONCURRENCY: String(CLIENT_CONCURRENCY),
      // The shortest lease: a finalize here lasts seconds, and an abandoned PUT keeps the lease to its end.
      DEPLOY_LEASE_SECONDS: '10',
    },
    stages: {
      ingest: { visibilityTimeoutSeconds: 20 },
      upload: { visibilityTimeoutSeconds: 20, ...receives },
      finalize: { visibilityTimeoutSeconds: 20, ...receives },
      teardown: { visibilityTimeoutSeconds: 20 },
    },
  });
  const { stack } = lambda;
  const emulator = stack.emulator;
  if (emulator === undefined) throw new Error('the soak needs the emulator');
  registerSecret(emulator.apiToken);
  const builds = createWorkload(options);
  const started = Date.now();
  const observer = observeWorkers((name) => emulator.getScript(LOCAL_NAMESPACE, name), builds);
  try {
    emulator.faults.set({ seed: options.seed, ...SOAK_FAULTS });
    // One of each fault up front, so that even a short run meets every kind whatever the dice say.
    emulator.faults.once('script-put', { type: 'stall', ms: SPIKE_MS });
    emulator.faults.once('upload', { type: 'lose-response' });
    emulator.faults.once('session', { type: 'drop' });
    emulator.faults.once('script-put', { type: 'status', status: 429, retryAfterSeconds: 1 });
    emulator.faults.once('upload', { type: 'status', status: 503 });
    const zips = await Promise.all(builds.map((build) => zipFiles(build.files)));
    for (const [index, build] of builds.entries()) {
      await putArtifact(stack, build.key, zips[index] ?? Buffer.alloc(0));
    }
    progress(`submitted ${builds.length} builds in ${Date.now() - started} ms`);

    const depths = async (which: 'url' | 'dlqUrl') => {
      const out = {} as Record<QueueName, number>;
      for (const stage of STAGE_NAMES) {
        const depth = await readQueueDepth(stack.deps.sqs, stack.queues[stage][which]);
        out[stage] = depth.visible + depth.inFlight + depth.delayed;
      }
      return out;
    };
    const countResults = async () => {
      let count = 0;
      for await (const _ of stack.deps.state.list('results/')) count += 1;
      return count;
    };
    const sum = (depth: Record<QueueName, number>) => Object.values(depth).reduce((a, b) => a + b, 0);

    /** Waits for every result, or until the queues are empty twice in a row (the rest parked). */
    const drain = async (deadline: number) => {
      let idle = 0;
      for (;;) {
        const results = await countResults();
        if (results >= builds.length) return;
        idle = sum(await depths('url')) === 0 ? idle + 1 : 0;
        if (idle >= 3 || Date.now() > deadline) return;
        progress(`${results}/${builds.length} results after ${Math.round((Date.now() - started) / 1000)} s`);
        await sleep(1_000);
      }
    };

    await drain(started + options.timeoutMs);
    const drainMs = Date.now() - started;
    const dlqBeforeReplay = await depths('dlqUrl');
    const replayed: Partial<Record<QueueName, number>> = {};
    const replayStarted = Date.now();
    let rounds = 0;
    // As an operator would: faults off, replay every DLQ, wait for the drain, and again if messages
    // parked anew (replayed builds of one script can still find each other's lease busy).
    for (let parked = dlqBeforeReplay; sum(parked) > 0 && rounds < MAX_REPLAY_ROUNDS; rounds += 1) {
      progress(`parked in DLQs: ${JSON.stringify(parked)}; replaying with faults off`);
      emulator.faults.reset();
      for (const stage of STAGE_NAMES) {
        if (parked[stage] === 0) continue;
        const summary = await replayQueue({
          sqs: stack.deps.sqs,
          pair: { queue: stage, ...stack.queues[stage] },
          tuning: { moveTask: { pollIntervalMs: 200 } },
        });
        replayed[stage] = (replayed[stage] ?? 0) + summary.moved;
      }
      await drain(Date.now() + options.timeoutMs);
      parked = await depths('dlqUrl');
    }
    const replayMs = rounds === 0 ? 0 : Date.now() - replayStarted;
    // Let duplicates and retries still in the queues finish before the final look.
    for (let quiet = 0; quiet < 3 && Date.now() < started + options.timeoutMs * 2; ) {
      quiet = sum(await depths('url')) === 0 ? quiet + 1 : 0;
      await sleep(500);
    }
    const observations = observer.stop();
    const results = new Map<string, ResultRecord>();
    for (const build of builds) {
      const found = await stack.deps.state.get<ResultRecord>(
        `results/${build.tenant}/${build.script}/${build.build}.json`,
      );
      if (found !== undefined) results.set(build.key, found.value);
    }
    const stateText: string[] = [];
    for await (const key of stack.deps.state.list('')) {
      stateText.push(JSON.stringify((await stack.deps.state.get(key))?.value));
    }
    const cap = concurrencyCap(lambda.concurrency, CLIENT_CONCURRENCY);
    const stats = emulator.stats();
    const checks = checkInvariants({
      builds,
      results,
      readScript: (name) => emulator.getScript(LOCAL_NAMESPACE, name),
      observations,
      recordedLines: log.lines,
      metrics,
      maxInFlight: stats.maxInFlight,
      cap,
      secrets: {
        rawLogs: containsSecret(log.text()),
        emittedLogs: containsSecret(JSON.stringify(recorded.lines)),
        state: containsSecret(stateText.join('\n')),
        messages: containsSecret(bodies.join('\n')),
        sealedTokensSeen: bodies.filter((body) => body.includes('"token"')).length,
      },
      queuesAtEnd: await depths('url'),
      dlqsAtEnd: await depths('dlqUrl'),
    });
    const figures = summarise({
      builds,
      results,
      metrics,
      stats,
      cap,
      observations,
      timings: { drainMs, replayMs, totalMs: Date.now() - started },
      dlq: { beforeReplay: dlqBeforeReplay, replayed, rounds },
      messagesSent: bodies.length,
      logLines: log.lines.length,
    });
    return { checks, figures };
  } finally {
    observer.stop();
    emulator.faults.reset();
    await lambda.close();
  }
}
