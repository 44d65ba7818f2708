import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../lib/config.js';
import { createTeardownHandler } from '../../../lib/handlers/teardown-handler.js';
import { createRecordingLogger } from '../../../lib/log.js';
import { createRecordingMetrics } from '../../../lib/metrics.js';
import { parseTeardownMessage } from '../../../lib/teardown/messages.js';
import { runTeardown, type TeardownAudit, type TeardownDeps } from '../../../lib/teardown/teardown.js';
import { FakeCloudflare } from '../../helpers/fake-cloudflare.js';
import { createMemoryStore, type MemoryStore } from '../../helpers/memory-store.js';
import { TEST_ENV } from '../../helpers/pipeline-harness.js';

interface Setup {
  deps: TeardownDeps;
  cf: FakeCloudflare;
  state: MemoryStore;
  artifacts: MemoryStore;
  sent: Array<{ body: unknown; delaySeconds: number | undefined }>;
}

async function setup(): Promise<Setup> {
  const cf = new FakeCloudflare();
  const state = createMemoryStore('state');
  const artifacts = createMemoryStore('artifacts');
  const sent: Setup['sent'] = [];
  for (const tenant of ['acme', 'globex']) {
    for (const script of ['site', 'blog']) {
      await cf.deployScript('ns', `${tenant}--${script}`, {
        modules: [],
        metadata: { tags: [`tenant-${tenant}`] },
      });
      await artifacts.put(`${tenant}/${script}/b1.zip`, 'zip');
      await state.put(`builds/${tenant}/${script}/b1/manifest.json`, {});
      await state.put(`results/${tenant}/${script}/b1.json`, { status: 'deployed' });
      await state.put(`scripts/${tenant}/${script}/deploy.json`, {});
    }
  }
  cf.calls.length = 0;
  const deps: TeardownDeps = {
    config: readConfig(TEST_ENV),
    state,
    cloudflare: cf,
    queues: {
      async send(_queue, bodies, options) {
        for (const body of bodies) sent.push({ body, delaySeconds: options?.delaySeconds });
      },
    },
    purge: async (bucket, prefix) => (bucket === 'artifacts' ? artifacts : state).deletePrefix(prefix),
    log: createRecordingLogger(),
    metrics: createRecordingMetrics(),
    now: () => new Date('2026-11-22T12:00:00.000Z'),
  };
  return { deps, cf, state, artifacts, sent };
}

const closed = (tenant: unknown) =>
  parseTeardownMessage(
    JSON.stringify({ type: 'tenant.closed', tenant, requestedAt: '2026-11-22T11:59:00Z' }),
    'now',
  );

describe('tenant teardown', () => {
  it('deletes exactly the tenant Workers and data, keeps the others, and leaves an audit record and a tombstone', async () => {
    const { deps, cf, state, artifacts, sent } = await setup();
    const othersBefore = JSON.stringify([...state.objects].filter(([key]) => key.includes('globex')));

    const audit = await runTeardown(closed('acme'), deps);

    expect([...cf.scripts.keys()].sort()).toEqual(['ns/globex--blog', 'ns/globex--site']);
    expect(audit).toMatchObject({
      tenant: 'acme',
      tag: 'tenant-acme',
      workers: { count: 2 },
      objects: { artifacts: 2, state: 6, total: 8 },
      nothingLeft: false,
      sweepInSeconds: 900,
    });
    expect(audit.workers.deleted.sort()).toEqual(['acme--blog', 'acme--site']);
    expect(artifacts.keys('acme/')).toEqual([]);
    expect(state.keys('builds/acme/')).toEqual([]);
    expect(state.keys('tombstones/')).toEqual(['tombstones/acme.json']);
    expect(state.keys('teardown/acme/')).toHaveLength(1);
    expect(JSON.stringify([...state.objects].filter(([key]) => key.includes('globex')))).toBe(othersBefore);
    expect(sent).toEqual([
      { body: expect.objectContaining({ type: 'teardown.sweep', tenant: 'acme' }), delaySeconds: 900 },
    ]);
  });

  it('is harmless the second time and says nothing was left', async () => {
    const { deps } = await setup();
    await runTeardown(closed('acme'), deps);

    const again = await runTeardown(closed('acme'), deps);

    expect(again).toMatchObject({ nothingLeft: true, workers: { count: 0 }, objects: { total: 0 } });
  });

  it.each([
    ['empty', ''],
    ['whitespace only', '   '],
    ['a comma', 'acme,globex'],
    ['a colon', 'acme:yes'],
    ['an ampersand', 'acme&tags=x'],
    ['an equals sign', 'acme=1'],
    ['inner whitespace', 'ac me'],
    ['a number', 42],
    ['null', null],
    ['upper case', 'ACME'],
  ])('refuses a tenant with %s before any Cloudflare call', async (_name, tenant) => {
    const { deps, cf, state } = await setup();
    const before = state.keys().length;

    await expect(runTeardown(closed(tenant), deps)).rejects.toMatchObject({
      code: 'tenant.invalid',
      category: 'user-input',
    });

    expect(cf.calls).toEqual([]);
    expect(state.keys().length).toBe(before);
  });

  it.each([
    ['a tag we never assign', 'production', 'tag.not-ours'],
    ['an empty tag', '', 'tag.invalid'],
    ['a filter injection', 'plan-free:yes,tenant-globex', 'tag.invalid'],
  ])('refuses tag.delete with %s before any Cloudflare call', async (_name, tag, code) => {
    const { deps, cf } = await setup();
    const message = parseTeardownMessage(JSON.stringify({ type: 'tag.delete', tag }), 'now');

    await expect(runTeardown(message, deps)).rejects.toMatchObject({ code });
    expect(cf.calls).toEqual([]);
  });

  it('deletes by an assigned extra tag without touching data', async () => {
    const { deps, cf, state } = await setup();
    await cf.deployScript('ns', 'acme--promo', {
      modules: [],
      metadata: { tags: ['tenant-acme', 'plan-free'] },
    });
    const before = state.keys().length;
    const message = parseTeardownMessage(JSON.stringify({ type: 'tag.delete', tag: 'plan-free' }), 'now');

    const audit = await runTeardown(message, deps);

    expect(audit.workers.deleted).toEqual(['acme--promo']);
    expect(cf.scripts.has('ns/acme--site')).toBe(true);
    expect(state.keys().length).toBe(before + 1);
  });

  it('accepts the closure inside an EventBridge envelope', () => {
    const body = JSON.stringify({
      version: '0',
      'detail-type': 'tenant.closed',
      source: 'platform.billing',
      time: '2026-11-22T11:00:00Z',
      detail: { type: 'tenant.closed', tenant: 'acme', reason: 'unpaid' },
    });

    expect(parseTeardownMessage(body, 'now')).toEqual({
      type: 'tenant.closed',
      tenant: 'acme',
      reason: 'unpaid',
      requestedBy: 'platform.billing',
      requestedAt: '2026-11-22T11:00:00.000Z',
    });
  });

  it('acknowledges refusals and malformed bodies in the handler, and retries transient failures', async () => {
    const { deps, cf } = await setup();
    const handler = createTeardownHandler(deps);
    const record = (messageId: string, body: string) =>
      ({
        messageId,
        body,
        receiptHandle: messageId,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0' },
      }) as unknown as SQSRecord;
    cf.failNext = 1;

    const response = await handler({
      Records: [
        record('bad-json', '{'),
        record('bad-tenant', JSON.stringify({ type: 'tenant.closed', tenant: 'a,b' })),
        record('outage', JSON.stringify({ type: 'tenant.closed', tenant: 'acme' })),
      ],
    });

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'outage' }]);
  });

  it('keeps the audit record free of tokens', async () => {
    const { deps, state } = await setup();

    const audit: TeardownAudit = await runTeardown(closed('acme'), deps);

    expect(JSON.stringify(audit)).not.toMatch(/eyJ|token/i);
    expect(state.read(state.keys('teardown/acme/')[0] ?? '')).toEqual(audit);
  });
});
