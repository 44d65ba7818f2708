/**
 * Bucket uploads streamed from the archive into the request (what the upload stage does): a connection
 * lost mid-body is retried by reading the archive again and sending identical bytes, and a reader that
 * fails mid-body fails the upload with its own error, unretried, leaving nothing stored.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type BoundedLocation, readEntries } from '../../../lib/artifacts/read-entries.js';
import { openBufferSource } from '../../../lib/artifacts/sources/buffer-source.js';
import type { ArtifactAsset, ZipSource } from '../../../lib/artifacts/types.js';
import type { StreamedBucket } from '../../../lib/cloudflare/types.js';
import { type CloudflareHarness, NAMESPACE, startCloudflareHarness } from '../../helpers/cloudflare.js';
import { spyOn } from '../../helpers/spy-source.js';
import { readZip } from '../../helpers/zip-read.js';
import { buildZip, localHeaderOffset, patchBytes } from '../../helpers/zip-writer.js';

const UPLOAD_PATH = '/workers/assets/upload';

/** A site of deflated text and stored binary files, ~1.6 MB, so the body spans many socket writes. */
function siteZip(): Buffer {
  const entries = Array.from({ length: 8 }, (_, i) =>
    i % 2 === 0
      ? { name: `public/page-${i}.html`, data: Buffer.from(`<p>page ${i}</p>\n`.repeat(8_000 + i)) }
      : { name: `public/img-${i}.bin`, data: randomBytes(200_000 + i), method: 0 },
  );
  return buildZip(entries);
}

/** The bucket as the upload stage builds it: declared sizes, entries read on every attempt. */
const bucketOf = (assets: ArtifactAsset[], source: ZipSource): StreamedBucket => ({
  files: assets.map(({ hash, size, contentType }) => ({ hash, size, contentType })),
  read: (signal) =>
    readEntries(
      source,
      assets.map((asset): BoundedLocation => asset.location),
      { signal },
    ),
});

/**
 * A fetch that records every upload body as sent and cuts the first one after `cutAfter` bytes, as a
 * connection reset mid-body would; `beforeAttempt` runs as each upload starts.
 */
function cuttingFetch(cutAfter: number, beforeAttempt: (attempt: number) => void) {
  const bodies: Buffer[][] = [];
  const wrapped: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const body = init?.body;
    if (!url.includes(UPLOAD_PATH) || !(body instanceof ReadableStream)) return fetch(input, init);
    const attempt = bodies.length;
    beforeAttempt(attempt);
    const chunks: Buffer[] = [];
    bodies.push(chunks);
    let sent = 0;
    const watch = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (attempt === 0 && sent + chunk.length > cutAfter) {
          controller.error(new TypeError('terminated'));
          return;
        }
        sent += chunk.length;
        chunks.push(Buffer.from(chunk));
        controller.enqueue(chunk);
      },
    });
    return fetch(input, { ...init, body: (body as ReadableStream<Uint8Array>).pipeThrough(watch) });
  };
  return { fetch: wrapped, bodies: () => bodies.map((chunks) => Buffer.concat(chunks)) };
}

describe('streamed bucket uploads', () => {
  let harness: CloudflareHarness;
  const internalErrors: unknown[] = [];
  afterEach(async () => {
    await harness.close();
    internalErrors.length = 0;
  });

  const start = async (fetchImpl?: typeof fetch) => {
    harness = await startCloudflareHarness(
      { onInternalError: (error) => internalErrors.push(error) },
      fetchImpl === undefined ? {} : { fetch: fetchImpl },
    );
  };
  const openSession = async (assets: ArtifactAsset[]) =>
    harness.client.openUploadSession(
      NAMESPACE,
      'site',
      Object.fromEntries(assets.map(({ path, hash, size }) => [path, { hash, size }])),
    );
  const stored = (assets: ArtifactAsset[]) =>
    assets.filter((asset) => harness.emulator.hasAsset(NAMESPACE, asset.hash)).length;

  it('retries a body cut mid-stream by reading the archive again and sending identical bytes', async () => {
    // Prepare
    const zip = siteZip();
    const { assets } = await readZip(zip);
    const { spy: source, streams } = spyOn(openBufferSource(zip));
    const storedBeforeAttempt: number[] = [];
    const cutting = cuttingFetch(300_000, () => storedBeforeAttempt.push(stored(assets)));
    await start(cutting.fetch);
    const session = await openSession(assets);

    // Act
    const result = await harness.client.uploadBucketStream(session.jwt, bucketOf(assets, source));

    // Assess
    expect(result.status).toBe('complete');
    expect(harness.retries.map((retry) => retry.code)).toEqual(['cloudflare.connection']);
    // The cut body stored nothing, the archive was read once per attempt, and the resent bytes match.
    expect(storedBeforeAttempt).toEqual([0, 0]);
    expect(streams).toHaveLength(2);
    const [cut, whole] = cutting.bodies();
    expect(cut?.length).toBeGreaterThan(0);
    expect(cut?.length).toBeLessThan(whole?.length ?? 0);
    expect(whole?.subarray(0, cut?.length).equals(cut ?? Buffer.alloc(0))).toBe(true);
    expect(stored(assets)).toBe(assets.length);
  });

  it('fails with the reader error, unretried and storing nothing, when an entry is damaged mid-stream', async () => {
    // Prepare: the last entry's data is damaged after ingest recorded its CRC-32.
    const good = siteZip();
    const { assets } = await readZip(good);
    const last = assets.at(-1) as ArtifactAsset;
    const dataAt = localHeaderOffset(good, `public${last.path}`) + (last.location.headerSize ?? 0);
    const damaged = patchBytes(good, dataAt + 100, (view) => {
      view[0] = (view[0] ?? 0) ^ 0xff;
    });
    await start();
    const session = await openSession(assets);

    // Act
    const error = await harness.client
      .uploadBucketStream(session.jwt, bucketOf(assets, openBufferSource(damaged)))
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'artifact.corrupt', category: 'user-input' });
    expect(harness.retries).toEqual([]);
    expect(stored(assets)).toBe(0);
  });

  it('sends the body without the redirect copy fetch keeps of a streamed body (a whole bucket queued)', async () => {
    // Prepare: fetch tees a streamed body unless redirects fail the request and there is no window.
    const inits: RequestInit[] = [];
    await start(async (input, init) => {
      inits.push(init ?? {});
      return fetch(input, init);
    });
    const zip = siteZip();
    const { assets } = await readZip(zip);
    const session = await openSession(assets);

    // Act
    await harness.client.uploadBucketStream(session.jwt, bucketOf(assets, openBufferSource(zip)));

    // Assess: every request, the session and the streamed upload alike
    expect(inits).toHaveLength(2);
    expect(inits.every((init) => init.redirect === 'error' && init.window === null)).toBe(true);
    expect(inits[1]?.body).toBeInstanceOf(ReadableStream);
  });
});
