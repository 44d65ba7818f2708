import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOCAL_ARTIFACTS_BUCKET,
  LOCAL_NAMESPACE,
  LOCAL_STATE_BUCKET,
  type LocalStack,
  startLocalStack,
} from '../../../infra/local/stack.js';
import { zipFiles } from '../../../infra/local/zip.js';
import type { TeardownAudit } from '../../../lib/teardown/teardown.js';
import { eventually, putArtifact, waitForResult } from '../../helpers/local-stack.js';

let stack: LocalStack;

const site = (text: string) =>
  zipFiles({
    'index.js': 'export default { fetch: (r, env) => env.ASSETS.fetch(r) };',
    'public/index.html': text,
  });

const keysUnder = async (bucket: string, prefix: string): Promise<string[]> => {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await stack.deps.s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
    );
    keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return keys;
};

const sendTeardown = (body: unknown) =>
  stack.deps.sqs.send(
    new SendMessageCommand({ QueueUrl: stack.queues.teardown.url, MessageBody: JSON.stringify(body) }),
  );

async function audits(tenant: string): Promise<TeardownAudit[]> {
  const keys = await keysUnder(LOCAL_STATE_BUCKET, `teardown/${tenant}/`);
  const docs = await Promise.all(keys.sort().map((key) => stack.deps.state.get<TeardownAudit>(key)));
  return docs.flatMap((doc) => (doc === undefined ? [] : [doc.value]));
}

const snapshot = (tenant: string) => {
  const names =
    stack.emulator?.listScripts(LOCAL_NAMESPACE).filter((name) => name.startsWith(`${tenant}--`)) ?? [];
  return names.map((name) => {
    const script = stack.emulator?.getScript(LOCAL_NAMESPACE, name);
    return { name, etag: script?.etag, tags: script?.tags, deployCount: script?.deployCount };
  });
};

beforeAll(async () => {
  stack = await startLocalStack({
    emulator: { deletePageSize: 2, listPageSize: 2 },
    env: { TEARDOWN_SWEEP_DELAY_SECONDS: '2', RETRY_BASE_SECONDS: '1' },
    stages: { teardown: { visibilityTimeoutSeconds: 5 } },
  });
  const deploys: Array<Promise<unknown>> = [];
  for (const tenant of ['acme', 'globex', 'initech']) {
    for (const script of ['site', 'blog', 'docs', 'shop', 'promo']) {
      deploys.push(
        site(`${tenant} ${script}`).then(async (zip) => {
          await putArtifact(stack, `${tenant}/${script}/b1.zip`, zip);
          return waitForResult(stack, `${tenant}/${script}/b1`, 60_000);
        }),
      );
    }
  }
  await Promise.all(deploys);
}, 120_000);
afterAll(async () => {
  await stack.close();
});

describe('tenant teardown against the emulator', () => {
  it('removes exactly one tenant, with more Workers than one delete call and more objects than one batch', async () => {
    const puts = Array.from({ length: 1105 }, (_, i) => `acme/site/old-${String(i).padStart(4, '0')}.bin`);
    for (let i = 0; i < puts.length; i += 100) {
      await Promise.all(
        puts
          .slice(i, i + 100)
          .map((Key) =>
            stack.deps.s3.send(new PutObjectCommand({ Bucket: LOCAL_ARTIFACTS_BUCKET, Key, Body: 'x' })),
          ),
      );
    }
    const othersBefore = JSON.stringify([snapshot('globex'), snapshot('initech')]);
    const otherObjects = JSON.stringify([
      await keysUnder(LOCAL_ARTIFACTS_BUCKET, 'globex/'),
      await keysUnder(LOCAL_STATE_BUCKET, 'results/initech/'),
    ]);
    const deletesBefore =
      stack.emulator?.stats().requests.filter((request) => request.kind === 'bulk-delete').length ?? 0;

    await sendTeardown({
      type: 'tenant.closed',
      tenant: 'acme',
      requestedAt: '2026-11-22T12:00:00Z',
      reason: 'closed',
    });
    await eventually(async () => (await audits('acme')).length >= 2, 30_000);

    const [first, sweep] = await audits('acme');
    expect(first).toMatchObject({ type: 'tenant.closed', tag: 'tenant-acme', workers: { count: 5 } });
    expect(first?.objects.artifacts).toBe(1110);
    expect(sweep).toMatchObject({ type: 'teardown.sweep', nothingLeft: true });
    expect(snapshot('acme')).toEqual([]);
    expect(await keysUnder(LOCAL_ARTIFACTS_BUCKET, 'acme/')).toEqual([]);
    for (const prefix of ['builds/acme/', 'scripts/acme/', 'results/acme/']) {
      expect(await keysUnder(LOCAL_STATE_BUCKET, prefix)).toEqual([]);
    }
    const bulkDeletes =
      (stack.emulator?.stats().requests.filter((request) => request.kind === 'bulk-delete').length ?? 0) -
      deletesBefore;
    expect(bulkDeletes).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify([snapshot('globex'), snapshot('initech')])).toBe(othersBefore);
    expect(
      JSON.stringify([
        await keysUnder(LOCAL_ARTIFACTS_BUCKET, 'globex/'),
        await keysUnder(LOCAL_STATE_BUCKET, 'results/initech/'),
      ]),
    ).toBe(otherObjects);
  });

  it('is harmless when the same closure runs again, and says nothing was left', async () => {
    const before = (await audits('acme')).length;

    await sendTeardown({ type: 'tenant.closed', tenant: 'acme', requestedAt: '2026-11-22T12:00:00Z' });
    await eventually(async () => (await audits('acme')).length >= before + 1, 30_000);

    const latest = (await audits('acme')).at(-1);
    expect(latest).toMatchObject({ nothingLeft: true, workers: { count: 0 }, objects: { total: 0 } });
    expect(snapshot('globex')).toHaveLength(5);
  });

  it('makes no Cloudflare request for injection attempts and empty values', async () => {
    stack.emulator?.resetStats();
    const bodies = [
      { type: 'tenant.closed', tenant: '' },
      { type: 'tenant.closed', tenant: '   ' },
      { type: 'tenant.closed', tenant: 'globex,initech' },
      { type: 'tenant.closed', tenant: 'globex:yes' },
      { type: 'tenant.closed', tenant: 'globex&tags=x' },
      { type: 'tenant.closed', tenant: 'a=b' },
      { type: 'tenant.closed', tenant: 'glo bex' },
      { type: 'tenant.closed' },
      { type: 'tag.delete', tag: 'production' },
      { type: 'tag.delete', tag: '' },
      { type: 'tag.delete', tag: 'tenant-globex,tenant-initech' },
    ];

    for (const body of bodies) await sendTeardown(body);
    await eventually(async () => {
      const { Attributes } = await stack.deps.sqs.send(
        new (await import('@aws-sdk/client-sqs')).GetQueueAttributesCommand({
          QueueUrl: stack.queues.teardown.url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Attributes?.ApproximateNumberOfMessages === '0' &&
        Attributes?.ApproximateNumberOfMessagesNotVisible === '0'
      );
    });

    expect(stack.emulator?.stats().requests ?? []).toEqual([]);
    expect(snapshot('globex')).toHaveLength(5);
    expect(snapshot('initech')).toHaveLength(5);
  });

  it('leaves nothing of a tenant whose build was in flight when it closed', async () => {
    stack.emulator?.faults.set({ kinds: ['upload', 'script-put'], latencyMs: 300 });
    const zip = await zipFiles(
      Object.fromEntries([
        ['index.js', 'export default { fetch: (r, env) => env.ASSETS.fetch(r) };'],
        ...Array.from({ length: 12 }, (_, i) => [`public/page-${i}.html`, `page ${i}`]),
      ]),
    );

    await putArtifact(stack, 'initech/late/b1.zip', zip);
    await eventually(async () => (await keysUnder(LOCAL_STATE_BUCKET, 'builds/initech/late/')).length > 0);
    await sendTeardown({ type: 'tenant.closed', tenant: 'initech', requestedAt: '2026-11-22T12:05:00Z' });
    await eventually(
      async () => (await audits('initech')).some((audit) => audit.type === 'teardown.sweep'),
      40_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    stack.emulator?.faults.reset();

    expect(snapshot('initech')).toEqual([]);
    expect(await keysUnder(LOCAL_ARTIFACTS_BUCKET, 'initech/')).toEqual([]);
    for (const prefix of ['builds/initech/', 'scripts/initech/', 'results/initech/']) {
      expect(await keysUnder(LOCAL_STATE_BUCKET, prefix)).toEqual([]);
    }
    expect(snapshot('globex')).toHaveLength(5);
  });
});
