import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_NAMESPACE, type LocalStack, startLocalStack } from '../../../infra/local/stack.js';
import { zipFiles } from '../../../infra/local/zip.js';
import { createRecordingLogger } from '../../../lib/log.js';
import { replayQueue } from '../../../lib/ops/replay.js';
import type { ResultRecord } from '../../../lib/pipeline/records.js';
import { containsSecret, registerSecret } from '../../../lib/redact.js';
import { eventually, putArtifact, waitForResult } from '../../helpers/local-stack.js';
import { FAST_TUNING } from './dlq-fixtures.js';

const log = createRecordingLogger({ service: 'outage-test' });
let stack: LocalStack;

const BUILDS = ['acme/site/b1', 'acme/blog/b1', 'globex/site/b1', 'globex/shop/b1'];

const site = (name: string) =>
  zipFiles({
    'index.js': `export default { fetch: (r, env) => env.ASSETS.fetch(r) }; // ${name}`,
    'public/index.html': `<h1>${name}</h1>`,
    'public/a.css': `/* ${name} */ a {}`,
    'public/b.txt': `${name} b`,
  });

const depth = async (url: string): Promise<number> => {
  const { Attributes } = await stack.deps.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
};

beforeAll(async () => {
  stack = await startLocalStack({
    overrides: { log },
    env: { CLOUDFLARE_RETRIES: '0', RETRY_BASE_SECONDS: '1' },
    emulator: { bucketMaxFiles: 2 },
    stages: {
      upload: { maxReceiveCount: 2, visibilityTimeoutSeconds: 1 },
      finalize: { maxReceiveCount: 2, visibilityTimeoutSeconds: 1 },
    },
  });
  registerSecret(stack.emulator?.apiToken);
});
afterAll(async () => {
  await stack.close();
});

describe('an outage, the DLQ, expired tokens, then a replay', () => {
  it('deploys every build exactly once after the replay, and the records say so', async () => {
    stack.emulator?.faults.set({ kinds: ['upload', 'script-put'], errorRates: { 500: 1 } });

    for (const build of BUILDS) await putArtifact(stack, `${build}.zip`, await site(build));
    await eventually(async () => (await depth(stack.queues.upload.dlqUrl)) >= BUILDS.length * 2, 40_000);
    await eventually(async () => (await depth(stack.queues.upload.url)) === 0, 10_000);

    expect(await Promise.all(BUILDS.map((build) => stack.deps.state.get(`results/${build}.json`)))).toEqual(
      BUILDS.map(() => undefined),
    );
    stack.emulator?.faults.reset();
    stack.emulator?.expireAllTokens();

    const summary = await replayQueue({
      sqs: stack.deps.sqs,
      pair: { queue: 'upload', ...stack.queues.upload },
      tuning: FAST_TUNING,
    });
    const results: ResultRecord[] = await Promise.all(
      BUILDS.map((build) => waitForResult(stack, build, 60_000)),
    );

    expect(summary).toMatchObject({ mode: 'move-task', ok: true, moved: BUILDS.length * 2 });
    for (const result of results) {
      expect(result).toMatchObject({ status: 'deployed', counts: { uploadSessions: 2 } });
      const script = stack.emulator?.getScript(LOCAL_NAMESPACE, result.scriptName ?? '');
      expect(script?.deployCount).toBe(1);
      expect(script?.assets.get('/index.html')?.content.toString()).toBe(
        `<h1>${result.tenant}/${result.script}/${result.build}</h1>`,
      );
    }
    expect(await depth(stack.queues.upload.dlqUrl)).toBe(0);
    expect(await depth(stack.queues.finalize.dlqUrl)).toBe(0);
    expect(containsSecret(JSON.stringify(log.lines))).toBe(false);
  });
});
