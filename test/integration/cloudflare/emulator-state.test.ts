import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCloudflareEmulator } from '../../../infra/local/cloudflare/index.js';
import { createStatsTracker } from '../../../infra/local/cloudflare/stats.js';
import { createCloudflareClient } from '../../../lib/cloudflare/client.js';
import {
  assetFile,
  type CloudflareHarness,
  manifestOf,
  NAMESPACE,
  startCloudflareHarness,
  uploadSession,
  workerModule,
} from '../../helpers/cloudflare.js';

const site = {
  '/index.html': assetFile('<p>home</p>', 'text/html'),
  '/logo.bin': assetFile(Buffer.alloc(300, 7), null),
};
const files = Object.values(site);

describe('emulator persistence under dataDir', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cf-emulator-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps deployed scripts, tags and asset bytes across a restart, but not sessions', async () => {
    // Prepare
    const first = await startCloudflareHarness({ dataDir });
    const session = await first.client.openUploadSession(NAMESPACE, 'site', manifestOf(site));
    const jwt = await uploadSession(first.client, session, files);
    await first.client.deployScript(NAMESPACE, 'site', {
      modules: [workerModule()],
      metadata: { main_module: 'index.js', tags: ['tenant-acme'], assets: { jwt } },
    });
    const pending = await first.client.openUploadSession(
      NAMESPACE,
      'next',
      manifestOf({ '/new.txt': assetFile('new') }),
    );
    const before = first.emulator.getScript(NAMESPACE, 'site');
    await first.close();

    // Act
    const second = await startCloudflareEmulator({ namespaces: [NAMESPACE], dataDir });
    const client = createCloudflareClient({
      apiToken: second.apiToken,
      accountId: second.accountId,
      baseURL: second.url,
      retries: 0,
    });
    const after = second.getScript(NAMESPACE, 'site');
    const listed = await client.listScripts(NAMESPACE, { tags: ['tenant-acme'] });
    const again = await client.openUploadSession(NAMESPACE, 'site', manifestOf(site));
    const stale = await client
      .uploadBucket(pending.jwt, [assetFile('new')])
      .catch((caught: unknown) => caught);
    await second.close();

    // Assess
    expect(after).toEqual(before);
    expect(after?.assets.get('/logo.bin')?.content).toEqual(Buffer.alloc(300, 7));
    expect(listed.map((script) => script.id)).toEqual(['site']);
    expect(again.buckets).toEqual([]);
    expect(stale).toMatchObject({ code: 'cloudflare.token-expired' });
  });
});

describe('emulator behaviour details', () => {
  let harness: CloudflareHarness;
  afterEach(async () => {
    await harness.close();
  });

  it('deduplicates assets per namespace: another script is not asked for hashes already stored', async () => {
    // Prepare
    harness = await startCloudflareHarness({ namespaces: [NAMESPACE, 'other-ns'] });
    const session = await harness.client.openUploadSession(NAMESPACE, 'one', manifestOf(site));
    await uploadSession(harness.client, session, files);

    // Act
    const sameNamespace = await harness.client.openUploadSession(NAMESPACE, 'two', manifestOf(site));
    const otherNamespace = await harness.client.openUploadSession('other-ns', 'two', manifestOf(site));

    // Assess
    expect(sameNamespace.buckets).toEqual([]);
    expect(otherNamespace.buckets.flat()).toHaveLength(2);
  });

  it('splits buckets by decoded bytes as well as by count', async () => {
    // Prepare
    harness = await startCloudflareHarness({ bucketMaxBytes: 1000, bucketMaxFiles: 10 });
    const big = Object.fromEntries([1, 2, 3, 4].map((n) => [`/f${n}`, assetFile(Buffer.alloc(400, n))]));

    // Act
    const session = await harness.client.openUploadSession(NAMESPACE, 'site', manifestOf(big));

    // Assess
    expect(session.buckets.map((bucket) => bucket.length)).toEqual([2, 2]);
  });

  it.each([
    ['201', 'complete'],
    ['202', 'accepted'],
  ] as const)(
    'answers a repeated upload after completion with %s when so configured',
    async (repeat, status) => {
      // Prepare
      harness = await startCloudflareHarness({ repeatAfterComplete: repeat });
      const session = await harness.client.openUploadSession(NAMESPACE, 'site', manifestOf(site));
      await harness.client.uploadBucket(session.jwt, files);

      // Act
      const result = await harness.client.uploadBucket(session.jwt, files);

      // Assess
      expect(result.status).toBe(status);
    },
  );

  it.each([
    ['clear', []],
    ['keep', ['tenant-acme']],
  ] as const)('on a PUT without tags, %s the stored tags', async (mode, expected) => {
    // Prepare
    harness = await startCloudflareHarness({ tagsWhenOmitted: mode });
    const upload = (tags?: string[]) =>
      harness.client.deployScript(NAMESPACE, 'site', {
        modules: [workerModule()],
        metadata: { main_module: 'index.js', ...(tags === undefined ? {} : { tags }) },
      });
    await upload(['tenant-acme']);

    // Act
    await upload();

    // Assess
    expect(await harness.client.getScriptTags(NAMESPACE, 'site')).toEqual(expected);
  });

  it('serves the tags subresource: replace, add one, remove one', async () => {
    // Prepare
    harness = await startCloudflareHarness();
    await harness.client.deployScript(NAMESPACE, 'site', {
      modules: [workerModule()],
      metadata: { main_module: 'index.js' },
    });
    const path = `${harness.emulator.url}/accounts/${harness.emulator.accountId}/workers/dispatch/namespaces/${NAMESPACE}/scripts/site/tags`;
    const auth = { authorization: `Bearer ${harness.emulator.apiToken}` };

    // Act
    const replaced = await fetch(path, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '["a","b"]',
    });
    await fetch(`${path}/c`, { method: 'PUT', headers: auth });
    await fetch(`${path}/a`, { method: 'DELETE', headers: auth });

    // Assess
    expect(((await replaced.json()) as { result: unknown }).result).toEqual(['a', 'b']);
    expect(await harness.client.getScriptTags(NAMESPACE, 'site')).toEqual(['b', 'c']);
  });

  it('audits what each session asked for and which hashes each upload carried, until a reset', async () => {
    // Prepare
    harness = await startCloudflareHarness();
    const first = await harness.client.openUploadSession(NAMESPACE, 'site', manifestOf(site));
    await uploadSession(harness.client, first, files);
    const extra = assetFile('<p>new</p>', 'text/html');
    const second = await harness.client.openUploadSession(
      NAMESPACE,
      'next',
      manifestOf({ ...site, '/new.html': extra }),
    );

    // Act: the second session asks only for the new file; the upload also carries a stored one.
    await harness.client.uploadBucket(second.jwt, [extra, site['/index.html']]);
    const audit = harness.emulator.stats().assets;
    harness.emulator.resetStats();

    // Assess
    expect(audit.sessions).toBe(2);
    expect(audit.askedBuckets.map((bucket) => [...bucket].sort())).toEqual([
      files.map((file) => file.hash).sort(),
      [extra.hash],
    ]);
    expect(audit.uploads).toBe(first.buckets.length + 1);
    expect(audit.uploadedHashes).toEqual([
      ...files.map((file) => file.hash).filter((hash) => first.buckets.flat().includes(hash)),
      extra.hash,
      site['/index.html'].hash,
    ]);
    expect(audit.truncated).toBe(false);
    expect(harness.emulator.stats().assets).toEqual({
      sessions: 0,
      askedBuckets: [],
      uploads: 0,
      uploadedHashes: [],
      truncated: false,
    });
  });

  it('tracks in-flight requests per kind', async () => {
    // Prepare
    harness = await startCloudflareHarness({}, { maxConcurrentRequests: 8 });
    harness.emulator.faults.set({ latencyMs: 50, kinds: ['list'] });

    // Act
    await Promise.all([1, 2, 3].map(() => harness.client.listScripts(NAMESPACE)));

    // Assess
    expect(harness.emulator.stats().maxInFlightByKind.list).toBe(3);
    expect(harness.emulator.stats().inFlight).toBe(0);
  });
});

describe('emulator asset audit bound', () => {
  it('records a Paid-sized upload of 150,000 parts in one call', () => {
    // Prepare
    const tracker = createStatsTracker();
    const hashes = Array.from({ length: 150_000 }, (_, index) => `h${index}`);

    // Act
    tracker.partsReceived(hashes);

    // Assess
    const { assets } = tracker.stats();
    expect(assets.uploadedHashes).toHaveLength(150_000);
    expect(assets.uploadedHashes.at(-1)).toBe('h149999');
    expect(assets.truncated).toBe(false);
  });

  it('stops the asset audit at its bound and says so, rather than growing without end', () => {
    // Prepare
    const tracker = createStatsTracker();
    tracker.sessionOpened([['a', 'b']]);

    // Act
    tracker.partsReceived(new Array<string>(200_000).fill('h'));
    tracker.partsReceived(['late']);

    // Assess
    const { assets } = tracker.stats();
    expect(assets).toMatchObject({ sessions: 1, uploads: 2, truncated: true });
    expect(assets.askedBuckets).toEqual([['a', 'b']]);
    expect(assets.uploadedHashes).toEqual([]);
  });
});
