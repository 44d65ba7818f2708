/**
 * Crash rows where the wire matters, over local mode's real SQS (visibility timeouts, redelivery, DLQs,
 * the replay tool) and the emulator (which expires tokens itself): the handler is killed right after an
 * effect through the same port wrappers as the in-process table, then SQS redelivers the message, or it
 * parks in the DLQ and is replayed with `replayQueue` after every token expired. The build still ends
 * deployed once, with its exact bytes in the emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_NAMESPACE } from '../../infra/local/stack.js';
import { zipFiles } from '../../infra/local/zip.js';
import { STAGE_NAMES } from '../../infra/queues.js';
import { createRecordingLogger } from '../../lib/log.js';
import { createRecordingMetrics } from '../../lib/metrics.js';
import { readQueueDepth } from '../../lib/ops/dlq-messages.js';
import { replayQueue } from '../../lib/ops/replay.js';
import type { QueueName } from '../../lib/pipeline/ports.js';
import { eventually, putArtifact, waitForResult } from '../helpers/local-stack.js';
import { CrashInjector, wrapCloudflare, wrapPurge, wrapQueues, wrapState } from './crash/ports.js';
import { type LambdaStack, startLambdaStack } from './helpers/lambda-stack.js';

const injectors = Object.fromEntries(STAGE_NAMES.map((stage) => [stage, new CrashInjector()])) as Record<
  QueueName,
  CrashInjector
>;
let lambda: LambdaStack;

beforeAll(async () => {
  lambda = await startLambdaStack({
    log: createRecordingLogger({ service: 'crash-wire' }),
    metrics: createRecordingMetrics(),
    emulator: { bucketMaxFiles: 2 },
    env: { RETRY_BASE_SECONDS: '1', DEPLOY_LEASE_SECONDS: '10' },
    // One instance per stage, so one injector per stage sees one invocation at a time. Ingest and upload
    // park a failed message at once (replay rows); finalize keeps its 8 receives (redelivery row).
    stages: {
      ingest: { maximumConcurrency: 1, visibilityTimeoutSeconds: 2, maxReceiveCount: 1 },
      upload: { maximumConcurrency: 1, visibilityTimeoutSeconds: 2, maxReceiveCount: 1 },
      finalize: { maximumConcurrency: 1, visibilityTimeoutSeconds: 2 },
      teardown: { maximumConcurrency: 1, visibilityTimeoutSeconds: 2 },
    },
    instrument: (stage, deps) => {
      const injector = injectors[stage];
      return {
        deps: {
          ...deps,
          state: wrapState(deps.state, injector),
          queues: wrapQueues(deps.queues, injector),
          cloudflare: wrapCloudflare(deps.cloudflare, injector),
          purge: wrapPurge(deps.purge, injector, deps.config.artifactsBucket),
        },
        beforeInvoke: () => injector.begin(stage),
      };
    },
  });
});
afterAll(async () => {
  await lambda?.close();
});

const depth = async (url: string) => {
  const d = await readQueueDepth(lambda.stack.deps.sqs, url);
  return d.visible + d.inFlight + d.delayed;
};

const files = (script: string) => ({
  'index.js': `export default { fetch: (r, env) => env.ASSETS.fetch(r) }; // ${script}`,
  'public/index.html': `<h1>${script}</h1>`,
  'public/a.css': `a { } /* ${script} */`,
  'public/b.txt': `b ${script}`,
});

const ROWS: Array<{ effect: string; stage: QueueName; recovery: 'redelivered' | 'replayed'; puts: number }> =
  [
    { effect: 'finalize: cloudflare script PUT', stage: 'finalize', recovery: 'redelivered', puts: 2 },
    {
      effect: 'upload: cloudflare bucket uploaded (201, completion token received)',
      stage: 'upload',
      recovery: 'replayed',
      puts: 1,
    },
    { effect: 'ingest: enqueue upload', stage: 'ingest', recovery: 'replayed', puts: 1 },
  ];

describe('crash on the wire (real SQS and the emulator)', () => {
  it.each(ROWS.map((row, index) => ({ ...row, script: `wire-${index}` })))(
    'crash right after $effect, then $recovery',
    { timeout: 60_000 },
    async ({ effect, stage, recovery, puts, script }) => {
      const { stack } = lambda;
      injectors[stage].arm(effect);
      const site = files(script);

      await putArtifact(stack, `acme/${script}/b1.zip`, await zipFiles(site));
      await eventually(() => injectors[stage].crashedAfter === effect, 30_000);
      if (recovery === 'replayed') {
        const pair = { queue: stage, ...stack.queues[stage] };
        await eventually(async () => (await depth(pair.dlqUrl)) === 1, 30_000);
        stack.emulator?.expireAllTokens();
        const summary = await replayQueue({
          sqs: stack.deps.sqs,
          pair,
          tuning: { moveTask: { pollIntervalMs: 100 } },
        });
        expect(summary).toMatchObject({ ok: true, moved: 1 });
      }
      const result = await waitForResult(stack, `acme/${script}/b1`, 45_000);

      expect(result).toMatchObject({
        status: 'deployed',
        scriptName: `acme--${script}`,
        counts: { assets: 3 },
      });
      const worker = stack.emulator?.getScript(LOCAL_NAMESPACE, `acme--${script}`);
      expect(worker?.deployCount).toBe(puts);
      expect(worker?.modules.get('index.js')?.content.toString()).toBe(site['index.js']);
      for (const path of ['index.html', 'a.css', 'b.txt']) {
        expect(worker?.assets.get(`/${path}`)?.content.toString()).toBe(
          site[`public/${path}` as keyof typeof site],
        );
      }
      for (const pair of Object.values(stack.queues)) expect(await depth(pair.dlqUrl)).toBe(0);
    },
  );
});
