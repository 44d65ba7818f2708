import { describe, expect, it } from 'vitest';
import type { StreamedBucket } from '../../../lib/cloudflare/types.js';
import { PipelineError } from '../../../lib/errors.js';
import { finalizeBuild } from '../../../lib/pipeline/finalize.js';
import type { ResultRecord } from '../../../lib/pipeline/records.js';
import { uploadBucketOfBuild } from '../../../lib/pipeline/upload.js';
import { containsSecret } from '../../../lib/redact.js';
import { createHarness, type Harness } from '../../helpers/pipeline-harness.js';

const SITE = {
  'worker.js': 'export default { fetch: (r, env) => env.ASSETS.fetch(r) }',
  'public/index.html': '<h1>hello</h1>',
  'public/about.html': '<h1>about</h1>',
  'public/style.css': 'h1 { color: red }',
  'public/copy.css': 'h1 { color: red }',
  'public/notes.txt': 'notes',
};

const result = (harness: Harness, key: string) => harness.store.read<ResultRecord>(`results/${key}.json`);

async function deployAll(harness: Harness, key: string, files = SITE, options = {}) {
  const event = harness.upload(`${key}.zip`, files, options);
  const outcome = await harness.ingest(event);
  const rest = await harness.drain();
  return { event, outcomes: [outcome, ...rest] };
}

describe('pipeline stages (in process, fake Cloudflare)', () => {
  it('deploys a build with one session, one request per bucket and one PUT', async () => {
    const harness = createHarness();

    const { outcomes } = await deployAll(harness, 'acme/site/b1');

    expect(outcomes).toEqual(['dispatched', 'uploaded', 'completed', 'deployed']);
    expect(harness.cf.calls).toEqual(['session', 'upload', 'upload', 'deploy']);
    const deploy = harness.cf.scripts.get('ns/acme--site');
    expect(deploy?.metadata).toMatchObject({
      main_module: 'worker.js',
      tags: ['tenant-acme'],
      bindings: [{ type: 'assets', name: 'ASSETS' }],
    });
    expect(Object.keys(deploy?.assets ?? {}).sort()).toEqual([
      '/about.html',
      '/copy.css',
      '/index.html',
      '/notes.txt',
      '/style.css',
    ]);
    expect(deploy?.assets['/style.css']?.content.toString()).toBe('h1 { color: red }');
    expect(result(harness, 'acme/site/b1')).toMatchObject({
      status: 'deployed',
      scriptName: 'acme--site',
      tags: ['tenant-acme'],
      counts: { assets: 5, uniqueAssets: 4, uploaded: 4, alreadyPresent: 0, modules: 1 },
    });
  });

  it('gives one deploy and one result for a duplicated S3 event, upload message and finalize message', async () => {
    const harness = createHarness();
    const event = harness.upload('acme/site/b1.zip', SITE);

    expect(await harness.ingest(event)).toBe('dispatched');
    expect(await harness.ingest(event)).toBe('duplicate');
    const uploads = harness.take('upload');
    for (const message of [...uploads, uploads[0]]) {
      harness.queues.upload.push(message);
    }
    await harness.runUploads();
    const finalizes = harness.take('finalize');
    harness.queues.finalize.push(...finalizes, ...finalizes);
    const outcomes = await harness.runFinalizes();
    expect(await harness.ingest(event)).toBe('duplicate');

    expect(outcomes[0]).toBe('deployed');
    expect(outcomes.slice(1).every((outcome) => outcome === 'duplicate')).toBe(true);
    expect(outcomes.length).toBeGreaterThanOrEqual(2);
    expect(harness.cf.deploys).toHaveLength(1);
    expect(harness.cf.sessions).toHaveLength(1);
    expect(harness.store.keys('results/')).toEqual(['results/acme/site/b1.json']);
    expect(result(harness, 'acme/site/b1')?.counts?.uploaded).toBe(4);
  });

  it('records an older build that finalizes after a newer one as superseded, without deploying it', async () => {
    const harness = createHarness();
    const older = harness.upload(
      'acme/site/b1.zip',
      { ...SITE, 'public/index.html': 'old' },
      { eventTime: '2026-11-22T10:00:00.000Z' },
    );
    const newer = harness.upload(
      'acme/site/b2.zip',
      { ...SITE, 'public/index.html': 'new' },
      { eventTime: '2026-11-22T10:00:05.000Z' },
    );
    await harness.ingest(older);
    await harness.runUploads();
    const olderFinalize = harness.take('finalize');
    await harness.ingest(newer);
    await harness.drain();

    harness.queues.finalize.push(...olderFinalize);
    const outcomes = await harness.runFinalizes();

    expect(outcomes).toEqual(['superseded']);
    expect(harness.cf.deploys).toHaveLength(1);
    expect(harness.cf.scripts.get('ns/acme--site')?.assets['/index.html']?.content.toString()).toBe('new');
    expect(result(harness, 'acme/site/b1')).toMatchObject({ status: 'superseded', supersededBy: 'b2' });
  });

  it('deploys even when the response carrying the completion token is lost', async () => {
    const harness = createHarness();
    harness.cf.loseCompletion = true;

    const { outcomes } = await deployAll(harness, 'acme/site/b1');

    expect(outcomes).toEqual(['dispatched', 'uploaded', 'reopened', 'deployed']);
    expect(harness.cf.sessions).toHaveLength(2);
    expect(result(harness, 'acme/site/b1')).toMatchObject({
      status: 'deployed',
      counts: { uploadSessions: 2 },
    });
  });

  it('still notices a lost completion when the uploads ran before ingest recorded its progress', async () => {
    // Prepare: the completing response is lost, and the uploads read before the progress document exists
    // (ingest writes it after enqueueing them).
    const harness = createHarness();
    harness.cf.loseCompletion = true;
    expect(await harness.ingest(harness.upload('acme/site/b1.zip', SITE))).toBe('dispatched');
    await harness.store.deleteKeys(['builds/acme/site/b1/progress.json']);

    // Act
    const outcomes = await harness.drain();

    // Assess: the last upload re-opens the session, and the build deploys.
    expect(outcomes).toEqual(['uploaded', 'reopened', 'deployed']);
    expect(result(harness, 'acme/site/b1')).toMatchObject({ status: 'deployed' });
  });

  it('re-opens the session when a replayed upload carries an expired JWT, and still deploys', async () => {
    const harness = createHarness();
    await harness.ingest(harness.upload('acme/site/b1.zip', SITE));
    const stale = harness.take('upload');
    harness.clock.now += 2 * 3600 * 1000;

    harness.queues.upload.push(...stale);
    const outcomes = await harness.drain();

    expect(outcomes[0]).toBe('reopened');
    expect(outcomes[1]).toBe('stale');
    expect(outcomes.at(-1)).toBe('deployed');
    expect(harness.cf.deploys).toHaveLength(1);
  });

  it('re-opens the session when the completion token expired before finalize ran', async () => {
    const harness = createHarness();
    await harness.ingest(harness.upload('acme/site/b1.zip', SITE));
    await harness.runUploads();
    harness.clock.now += 2 * 3600 * 1000;

    const outcomes = await harness.drain();

    expect(outcomes).toEqual(['reopened', 'deployed']);
    expect(harness.cf.sessions).toHaveLength(2);
    expect(harness.store.read<{ lease?: unknown }>('scripts/acme/site/deploy.json')?.lease).toBeUndefined();
  });

  it('keeps tenants apart: same script name, distinct Workers, tags and asset hashes', async () => {
    const harness = createHarness();

    await deployAll(harness, 'acme/site/b1');
    await deployAll(harness, 'globex/site/b1');

    const acme = harness.cf.scripts.get('ns/acme--site');
    const globex = harness.cf.scripts.get('ns/globex--site');
    expect(acme?.metadata.tags).toEqual(['tenant-acme']);
    expect(globex?.metadata.tags).toEqual(['tenant-globex']);
    expect(acme?.assets['/index.html']?.hash).not.toBe(globex?.assets['/index.html']?.hash);
    expect(result(harness, 'globex/site/b1')?.counts?.alreadyPresent).toBe(0);
  });

  it('rejects extra tags that would forge another tenant, and deploys nothing', async () => {
    const harness = createHarness();

    const { outcomes } = await deployAll(harness, 'acme/site/b1', SITE, { tags: 'tenant-globex' });

    expect(outcomes).toEqual(['rejected']);
    expect(harness.cf.calls).toEqual([]);
    expect(result(harness, 'acme/site/b1')).toMatchObject({
      status: 'rejected',
      error: { code: 'tag.reserved', category: 'user-input' },
    });
  });

  it('records keys outside the layout and makes no Cloudflare call', async () => {
    const harness = createHarness();
    const event = harness.upload('acme/site.zip', SITE);

    expect(await harness.ingest(event)).toBe('rejected');
    expect(harness.cf.calls).toEqual([]);
    const [key] = harness.store.keys('results/_invalid-keys/');
    expect(harness.store.read(key ?? '')).toMatchObject({
      status: 'rejected',
      key: 'acme/site.zip',
      error: { code: 'key.bad-layout' },
    });
  });

  it('leaves nothing half-applied on a transient Cloudflare failure, and succeeds on retry', async () => {
    const harness = createHarness();
    const event = harness.upload('acme/site/b1.zip', SITE);
    harness.cf.failNext = 1;

    await expect(harness.ingest(event)).rejects.toMatchObject({
      code: 'cloudflare.server-error',
      category: 'transient',
    });
    expect(harness.store.keys('results/')).toEqual([]);
    expect(harness.queues.upload).toEqual([]);

    expect(await harness.ingest(event)).toBe('dispatched');
    await harness.drain();
    expect(result(harness, 'acme/site/b1')?.status).toBe('deployed');
  });

  it('streams each bucket from the archive into the request, reading it again for a retried attempt', async () => {
    // Prepare: a Cloudflare port that records when each file is read and sent, and sends every bucket twice.
    const harness = createHarness();
    const { cf } = harness;
    const events: string[] = [];
    const streamEntries = harness.deps.artifacts.streamEntries.bind(harness.deps.artifacts);
    harness.deps.artifacts.streamEntries = async function* (source, locations, signal) {
      events.push('open');
      for await (const entry of streamEntries(source, locations, signal)) {
        events.push(`read ${entry.index}`);
        yield entry;
      }
    };
    const sentBodies: string[][] = [];
    const send = cf.uploadBucketStream.bind(cf);
    cf.uploadBucketStream = async (jwt: string, bucket: StreamedBucket) => {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const body: string[] = [];
        for await (const { index, bytes } of bucket.read(new AbortController().signal)) {
          expect(bytes.byteLength).toBe(bucket.files[index]?.size);
          events.push(`sent ${index}`);
          body.push(`${bucket.files[index]?.hash}:${Buffer.from(bytes).toString()}`);
        }
        sentBodies.push(body);
      }
      return send(jwt, bucket);
    };

    // Act
    const { outcomes } = await deployAll(harness, 'acme/site/b1');

    // Assess: each file is sent before the next is read, and an attempt reads the bucket anew.
    expect(outcomes.at(-1)).toBe('deployed');
    expect(events.slice(0, 5)).toEqual(['open', 'read 0', 'sent 0', 'read 1', 'sent 1']);
    expect(events.filter((event) => event === 'open')).toHaveLength(6);
    expect(sentBodies[1]).toEqual(sentBodies[0]);
    expect(sentBodies[3]).toEqual(sentBodies[2]);
  });

  it('records failed when Cloudflare refuses the script itself', async () => {
    const harness = createHarness();
    harness.cf.rejectNextDeploy = true;

    const { outcomes } = await deployAll(harness, 'acme/site/b1');

    expect(outcomes.at(-1)).toBe('failed');
    expect(result(harness, 'acme/site/b1')).toMatchObject({
      status: 'failed',
      error: { code: 'cloudflare.script-rejected' },
    });
    expect(harness.store.read<{ lease?: unknown }>('scripts/acme/site/deploy.json')?.lease).toBeUndefined();
  });

  it('ignores a different artifact re-using a claimed build id', async () => {
    const harness = createHarness();
    await deployAll(harness, 'acme/site/b1');
    const reused = harness.upload('acme/site/b1.zip', { ...SITE, 'public/index.html': 'other' });

    expect(await harness.ingest(reused)).toBe('duplicate');
    expect(harness.cf.deploys).toHaveLength(1);
  });

  it('keeps tokens out of logs, state documents and queue bodies', async () => {
    const harness = createHarness();
    harness.cf.loseCompletion = true;
    const bodies: unknown[] = [];
    const send = harness.deps.queues.send.bind(harness.deps.queues);
    harness.deps.queues.send = async (queue, messages) => {
      bodies.push(...messages);
      await send(queue, messages);
    };

    await deployAll(harness, 'acme/site/b1');

    expect(containsSecret(JSON.stringify(harness.log.lines))).toBe(false);
    expect(containsSecret(JSON.stringify([...harness.store.objects.values()]))).toBe(false);
    expect(bodies.length).toBeGreaterThan(0);
    expect(containsSecret(JSON.stringify(bodies))).toBe(false);
  });

  it('drops builds of a closed tenant at every stage without writing anything', async () => {
    const harness = createHarness();
    const event = harness.upload('acme/site/b1.zip', SITE);
    await harness.ingest(event);
    await harness.store.put('tombstones/acme.json', { tenant: 'acme' });
    const before = harness.store.keys().length;

    const outcomes = await harness.drain();

    expect(outcomes).toEqual(['skipped', 'skipped']);
    expect(await harness.ingest(harness.upload('acme/site/b2.zip', SITE))).toBe('ignored-tenant-closed');
    expect(harness.store.keys().length).toBe(before);
    expect(harness.cf.deploys).toHaveLength(0);
  });

  it("drops a closed tenant's build, and a duplicate, even when the archive is gone or changed", async () => {
    // Prepare: the archive's HEAD goes out with the gate, and fails for both events.
    const harness = createHarness();
    const done = harness.upload('acme/site/b1.zip', SITE);
    await harness.ingest(done);
    await harness.drain();
    const overwritten = { ...done, etag: '"overwritten"' };
    const closed = harness.upload('beta/site/b1.zip', SITE);
    await harness.store.put('tombstones/beta.json', { tenant: 'beta' });
    const before = harness.store.keys().length;

    // Act
    const outcomes = [await harness.ingest(overwritten), await harness.ingest({ ...closed, etag: '"gone"' })];

    // Assess
    expect(outcomes).toEqual(['duplicate', 'ignored-tenant-closed']);
    expect(harness.store.keys().length).toBe(before);
  });

  it('skips, not fails, the messages of a closed tenant whose build state was already purged', async () => {
    // Prepare: teardown wrote the tombstone and purged the build's documents; messages are still queued.
    const harness = createHarness();
    await harness.ingest(harness.upload('acme/site/b1.zip', SITE));
    const [upload] = harness.take('upload');
    await harness.store.put('tombstones/acme.json', { tenant: 'acme' });
    await harness.store.deleteKeys(harness.store.keys().filter((key) => key.startsWith('builds/')));
    const finalize = {
      v: 1 as const,
      kind: 'finalize' as const,
      ref: upload?.ref ?? { tenant: 'acme', script: 'site', build: 'b1' },
      sessionId: upload?.sessionId ?? 'gone',
      reason: 'completed' as const,
    };

    // Act
    const outcomes = [
      upload === undefined ? 'none' : await uploadBucketOfBuild(upload, harness.deps),
      await finalizeBuild(finalize, harness.deps),
    ];

    // Assess
    expect(outcomes).toEqual(['skipped', 'skipped-tenant-closed']);
    expect(harness.cf.calls).toEqual(['session']);
  });

  it('stores the manifest while the session opens, and dispatches nothing when storing it fails', async () => {
    // Prepare: the manifest write waits until the session was opened, then fails.
    const harness = createHarness();
    const put = harness.store.put.bind(harness.store);
    harness.store.put = async (key: string, value: unknown) => {
      if (!key.endsWith('/manifest.json')) return put(key, value);
      for (let tries = 0; tries < 100 && !harness.cf.calls.includes('session'); tries += 1)
        await new Promise((resolve) => setTimeout(resolve, 1));
      throw new PipelineError('s3.unavailable', 'the state bucket asked to slow down');
    };

    // Act
    const error = await harness
      .ingest(harness.upload('acme/site/b1.zip', SITE))
      .catch((thrown: unknown) => thrown);

    // Assess: the session was opened meanwhile, but no plan, progress or upload message exists.
    expect(error).toMatchObject({ code: 's3.unavailable' });
    expect(harness.cf.calls).toEqual(['session']);
    expect(harness.store.keys().filter((key) => /\/(plan|progress|manifest)\.json$/.test(key))).toEqual([]);
    expect(harness.queues.upload).toHaveLength(0);
  });

  it('reads the tombstone and the result record at once, not one after the other', async () => {
    // Prepare: note, for every state read, whether a gate read of the other kind was in flight with it
    const harness = createHarness();
    const read = harness.store.get.bind(harness.store);
    const inFlight = { tombstone: 0, result: 0 };
    let overlaps = 0;
    harness.store.get = async <T>(key: string) => {
      const kind = key.startsWith('tombstones/')
        ? 'tombstone'
        : key.startsWith('results/')
          ? 'result'
          : undefined;
      if (kind === undefined) return read<T>(key);
      inFlight[kind] += 1;
      try {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (inFlight.tombstone > 0 && inFlight.result > 0) overlaps += 1;
        return await read<T>(key);
      } finally {
        inFlight[kind] -= 1;
      }
    };

    // Act: one stage invocation
    const outcome = await harness.ingest(harness.upload('acme/site/b1.zip', SITE));

    // Assess
    expect(outcome).toBe('dispatched');
    expect(overlaps).toBeGreaterThan(0);
  });

  it('keeps each stage to a few round trips in a row to S3 and Cloudflare', async () => {
    // Prepare: every state, archive and Cloudflare call takes a moment; each call's depth is one more
    // than the deepest call that had finished when it started (calls made together share a depth).
    const harness = createHarness();
    const trips = countRoundTrips(harness);
    const event = harness.upload('acme/site/b1.zip', SITE);

    // Act
    const ingest = await trips.of(() => harness.ingest(event));
    const [first, second] = harness.take('upload');
    const upload = await trips.of(async () => {
      if (first !== undefined) await uploadBucketOfBuild(first, harness.deps);
    });
    const completing = await trips.of(async () => {
      if (second !== undefined) await uploadBucketOfBuild(second, harness.deps);
    });
    const [finalizeMessage] = harness.take('finalize');
    const finalize = await trips.of(async () => {
      if (finalizeMessage !== undefined) await finalizeBuild(finalizeMessage, harness.deps);
    });

    // Assess: ingest: gate with the archive's HEAD; claim with the progress and manifest reads; the
    // manifest stored while the session opens; plan; progress. An upload: gate with its plan; the
    // request; its marker; the other markers read. Finalize: gate with the build's documents and the
    // deploy pointer; the lease (create) with the modules; the PUT; tombstone; pointer (replace, from
    // the one the lease wrote); result (create).
    expect(harness.cf.deploys).toHaveLength(1);
    expect({ ingest, upload, completing, finalize }).toEqual({
      ingest: 5,
      upload: 4,
      completing: 3,
      finalize: 6,
    });
  });

  it('throws typed errors only', async () => {
    const harness = createHarness();
    harness.cf.failNext = 10;

    const error = await harness
      .ingest(harness.upload('acme/site/b1.zip', SITE))
      .catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(PipelineError);
  });
});

/** Wraps the harness's state, archive and Cloudflare calls to measure the longest chain of calls in a row. */
function countRoundTrips(harness: Harness) {
  let finishedDepth = 0;
  let deepest = 0;
  const wrap = <T extends object>(target: T, names: Array<keyof T>) => {
    for (const name of names) {
      const call = target[name] as unknown as (...args: unknown[]) => Promise<unknown>;
      (target as Record<keyof T, unknown>)[name] = async (...args: unknown[]) => {
        const depth = finishedDepth + 1;
        deepest = Math.max(deepest, depth);
        await new Promise((resolve) => setTimeout(resolve, 2));
        try {
          return await call.apply(target, args);
        } finally {
          finishedDepth = Math.max(finishedDepth, depth);
        }
      };
    }
  };
  wrap(harness.store, ['get', 'put', 'create', 'replace']);
  // Opening the archive sends nothing (the HEAD is ingest's), so only reads count.
  wrap(harness.deps.artifacts, ['head', 'readEntries']);
  wrap(harness.cf, ['openUploadSession', 'uploadBucketStream', 'deployScript']);
  return {
    async of(run: () => Promise<unknown>): Promise<number> {
      finishedDepth = 0;
      deepest = 0;
      await run();
      return deepest;
    },
  };
}
