/**
 * A script PUT the client gave up on (attempt timeout, lost connection, 5xx) can still be applied by
 * Cloudflare later. Found by the fault soak: with latency spikes past the attempt timeout, an older build's
 * abandoned PUT landed after a newer build had deployed and put the older build back live. Finalize now
 * leaves a fence in the deploy pointer up to its lease's end after such a PUT: other builds wait until
 * the late PUT could have landed, while the same build may deploy again (its late PUT is the same content).
 */
import { describe, expect, it } from 'vitest';
import type { CloudflareApi } from '../../lib/cloudflare/types.js';
import { CloudflareApiError } from '../../lib/errors.js';
import { finalizeBuild } from '../../lib/pipeline/finalize.js';
import type { FinalizeMessage } from '../../lib/pipeline/messages.js';
import type { DeployPointer } from '../../lib/pipeline/records.js';
import { createHarness, type Harness } from '../helpers/pipeline-harness.js';

const ATTEMPT_TIMEOUT_MS = 1_000;
const LEASE_SECONDS = 60;

const site = (title: string) => ({
  'worker.js': `export default { fetch: (r, env) => env.ASSETS.fetch(r) } // ${title}`,
  'public/index.html': `<h1>${title}</h1>`,
});

/** Ingests and uploads a build; returns its finalize message (not yet run). */
async function prepare(harness: Harness, build: string): Promise<FinalizeMessage> {
  await harness.ingest(harness.upload(`acme/site/${build}.zip`, site(build)));
  await harness.runUploads();
  const [message] = harness.take('finalize');
  if (message === undefined) throw new Error(`no finalize for ${build}`);
  return message;
}

type Deploy = CloudflareApi['deployScript'];

/**
 * Wraps the fake's deploy so that the first PUT behaves like an abandoned attempt: the request is kept
 * to be applied later (`land`), the clock moves past the attempt timeout, and then `outcome` decides
 * whether the client's retry succeeded or the whole call failed transiently.
 */
function withAbandonedFirstPut(harness: Harness, outcome: 'retry-succeeded' | 'failed') {
  const real: Deploy = harness.cf.deployScript.bind(harness.cf);
  const zombie: { land?: () => Promise<unknown> } = {};
  const deployScript: Deploy = async (namespace, script, upload) => {
    if (zombie.land !== undefined) return real(namespace, script, upload);
    zombie.land = () => real(namespace, script, upload);
    harness.clock.now += ATTEMPT_TIMEOUT_MS;
    if (outcome === 'failed') {
      throw new CloudflareApiError('cloudflare.timeout', 'Cloudflare deployScript timed out.');
    }
    return real(namespace, script, upload);
  };
  const { cf } = harness;
  harness.deps.cloudflare = {
    openUploadSession: (...args) => cf.openUploadSession(...args),
    uploadBucket: (...args) => cf.uploadBucket(...args),
    uploadBucketStream: (...args) => cf.uploadBucketStream(...args),
    deployScript,
    deleteScriptsByTag: (...args) => cf.deleteScriptsByTag(...args),
    deleteScript: (...args) => cf.deleteScript(...args),
    listScripts: (...args) => cf.listScripts(...args),
    getScriptTags: (...args) => cf.getScriptTags(...args),
  };
  return zombie;
}

const live = (harness: Harness) => harness.cf.scripts.get('ns/acme--site')?.assets['/index.html']?.content;

const env = {
  CLOUDFLARE_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS),
  DEPLOY_LEASE_SECONDS: String(LEASE_SECONDS),
};

describe('a script PUT abandoned by the client and applied late (zombie write)', () => {
  it('fences the script after a deploy whose PUT outlived an attempt, so the newer build cannot be overwritten', async () => {
    const harness = createHarness(env);
    const older = await prepare(harness, 'b1');
    const newer = await prepare(harness, 'b2');
    const zombie = withAbandonedFirstPut(harness, 'retry-succeeded');

    expect(await finalizeBuild(older, harness.deps)).toBe('deployed');
    await expect(finalizeBuild(newer, harness.deps)).rejects.toMatchObject({ code: 'build.busy' });
    await zombie.land?.();
    harness.clock.now += LEASE_SECONDS * 1000;
    const outcome = await finalizeBuild(newer, harness.deps);

    expect(outcome).toBe('deployed');
    expect(live(harness)?.toString()).toBe('<h1>b2</h1>');
    expect(harness.store.read<DeployPointer>('scripts/acme/site/deploy.json')).toMatchObject({
      deployed: { build: 'b2' },
    });
  });

  it('fences the script after a PUT that failed transiently, so the late landing cannot follow a newer deploy', async () => {
    const harness = createHarness(env);
    const older = await prepare(harness, 'b1');
    const newer = await prepare(harness, 'b2');
    const zombie = withAbandonedFirstPut(harness, 'failed');

    await expect(finalizeBuild(older, harness.deps)).rejects.toMatchObject({ code: 'cloudflare.timeout' });
    await expect(finalizeBuild(newer, harness.deps)).rejects.toMatchObject({ code: 'build.busy' });
    await zombie.land?.();
    harness.clock.now += LEASE_SECONDS * 1000;
    const outcomes = [await finalizeBuild(newer, harness.deps), await finalizeBuild(older, harness.deps)];

    expect(outcomes).toEqual(['deployed', 'superseded']);
    expect(live(harness)?.toString()).toBe('<h1>b2</h1>');
  });

  it('lets the same build deploy again at once behind its own fence, and keeps the fence for the others', async () => {
    const harness = createHarness(env);
    const older = await prepare(harness, 'b1');
    const newer = await prepare(harness, 'b2');
    const zombie = withAbandonedFirstPut(harness, 'failed');

    await expect(finalizeBuild(older, harness.deps)).rejects.toMatchObject({ code: 'cloudflare.timeout' });
    const retried = await finalizeBuild(older, harness.deps);
    await expect(finalizeBuild(newer, harness.deps)).rejects.toMatchObject({ code: 'build.busy' });
    await zombie.land?.();
    harness.clock.now += LEASE_SECONDS * 1000;
    const outcome = await finalizeBuild(newer, harness.deps);

    expect([retried, outcome]).toEqual(['deployed', 'deployed']);
    expect(live(harness)?.toString()).toBe('<h1>b2</h1>');
  });

  it('leaves no fence after a PUT shorter than one attempt (no delay for the next build)', async () => {
    const harness = createHarness(env);
    const older = await prepare(harness, 'b1');
    const newer = await prepare(harness, 'b2');

    const outcomes = [await finalizeBuild(older, harness.deps), await finalizeBuild(newer, harness.deps)];

    expect(outcomes).toEqual(['deployed', 'deployed']);
    expect(harness.store.read<DeployPointer>('scripts/acme/site/deploy.json')).toEqual({
      v: 1,
      deployed: expect.objectContaining({ build: 'b2' }),
    });
  });

  it('leaves no fence after a refusal: a 4xx PUT was not applied and cannot land later', async () => {
    const harness = createHarness(env);
    const older = await prepare(harness, 'b1');
    const newer = await prepare(harness, 'b2');
    harness.cf.rejectNextDeploy = true;

    const outcomes = [await finalizeBuild(older, harness.deps), await finalizeBuild(newer, harness.deps)];

    expect(outcomes).toEqual(['failed', 'deployed']);
    expect(live(harness)?.toString()).toBe('<h1>b2</h1>');
  });
});
