/**
 * The hashing thread: it must give the same digests and the same errors as the main thread alone, share
 * the work, and lose nothing when it dies. INGEST_HASH_THREAD decides when it is used.
 */
import { createHash, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inflateChunkSize } from '../../../lib/artifacts/entry-decoder.js';
import { HashThread, type SmallEntry } from '../../../lib/artifacts/hash-thread.js';
import { wantsHashThread } from '../../../lib/config.js';
import { ConfigError } from '../../../lib/errors.js';
import { readZip, rejectionOf, summarise } from '../../helpers/zip-read.js';
import { buildZip, type ZipEntrySpec } from '../../helpers/zip-writer.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

const pageName = (index: number) => `public/section-${index % 17}/page-${index}.html`;

/**
 * `count` small files (mostly deflated, every seventh stored), a 20 KB incompressible one (large: over
 * 16 KiB compressed) every `largeEvery`, and a main module.
 */
function siteEntries(count: number, largeEvery = 1500): ZipEntrySpec[] {
  const entries: ZipEntrySpec[] = [{ name: 'index.js', data: 'export default { fetch() {} };' }];
  for (let index = 0; index < count; index += 1) {
    const text = `<p>page ${index}</p>`.repeat(1 + (index % 40));
    entries.push({
      name: pageName(index),
      data: text,
      ...(index % 7 === 0 ? { method: 0 } : {}),
    });
    if (index % largeEvery === 0)
      entries.push({ name: `public/blob-${index}.bin`, data: randomBytes(20_000) });
  }
  return entries;
}

/** The artifact with and without the thread, and the thread's batch counts. */
async function readBothWays(zip: Buffer) {
  const start = vi.spyOn(HashThread, 'start');
  const withThread = await readZip(zip, { hashThread: true });
  const thread = start.mock.results[0]?.value as HashThread<SmallEntry> | undefined;
  start.mockRestore();
  const alone = await readZip(zip, { hashThread: false });
  return { withThread, alone, batches: thread?.batches };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('hashing thread in the pass', () => {
  it('gives the same artifact as the main thread alone, and both threads take batches', async () => {
    const { withThread, alone, batches } = await readBothWays(buildZip(siteEntries(3000)));
    expect(summarise(withThread)).toEqual(summarise(alone));
    expect(withThread.assets.map((asset) => asset.location)).toEqual(
      alone.assets.map((asset) => asset.location),
    );
    expect(batches?.thread).toBeGreaterThan(0);
    expect((batches?.thread ?? 0) + (batches?.here ?? 0)).toBeGreaterThanOrEqual(3000 / 64);
  });

  it.each([
    ['a small artifact', siteEntries(100)],
    ['an artifact whose large entries hold a third of the content', siteEntries(3000, 100)],
  ])('is not started for %s', async (_label, entries) => {
    const start = vi.spyOn(HashThread, 'start');
    await readZip(buildZip(entries), { hashThread: true });
    expect(start).not.toHaveBeenCalled();
  });

  it.each([
    ['a CRC mismatch', { crc32: 12345 }, 'artifact.corrupt'],
    ['a size that lies (inflates past it)', { size: 3 }, 'artifact.bomb-ratio'],
    ['a size that lies (shorter)', { size: 100_000 }, 'artifact.corrupt'],
  ] as const)('reports the first bad entry, as without the thread: %s', async (_label, lie, code) => {
    const entries = siteEntries(2000);
    // Two bad entries far apart: the earlier one is reported, wherever each was decoded.
    const first = entries.findIndex((entry) => entry.name === pageName(1500));
    const second = entries.findIndex((entry) => entry.name === pageName(1770));
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    for (const at of [first, second]) entries[at] = { ...(entries[at] as ZipEntrySpec), ...lie };
    const zip = buildZip(entries);
    const withThread = await rejectionOf(readZip(zip, { hashThread: true }));
    const alone = await rejectionOf(readZip(zip, { hashThread: false }));
    expect(withThread).toEqual(alone);
    expect(withThread).toMatchObject({ code, entry: `/${pageName(1500)}` });
  });

  it('lets a config error win over a damaged entry, and stops the pass', async () => {
    const entries = siteEntries(2000);
    entries.push({ name: 'wrangler.json', data: '{ "main": "missing.js" }' });
    const damaged = entries.findIndex((entry) => entry.name === pageName(1));
    expect(damaged).toBeGreaterThan(0);
    entries[damaged] = { ...(entries[damaged] as ZipEntrySpec), crc32: 1 };
    const rejection = await rejectionOf(readZip(buildZip(entries), { hashThread: true }));
    expect(rejection).toMatchObject({ code: 'artifact.bad-config', entry: '/wrangler.json' });
  });
});

/** Small deflated entries with their expected digests. */
function smallEntries(count: number): Array<{ entry: SmallEntry; digest: Buffer }> {
  return Array.from({ length: count }, (_, index) => {
    const content = Buffer.from(`entry ${index} `.repeat(1 + (index % 50)));
    return {
      entry: {
        method: 8,
        size: content.length,
        crc32: crc32(content) >>> 0,
        chunkSize: inflateChunkSize(content.length),
        compressed: deflateRawSync(content),
      },
      digest: sha256(content),
    };
  });
}

const decodeHere = (entry: SmallEntry): Buffer => {
  throw new Error(`the main thread was asked to decode an entry of ${entry.size} bytes`);
};

describe('HashThread', () => {
  it('returns each digest, and undefined for each entry it cannot verify', async () => {
    const items = smallEntries(300);
    // All in the third batch, which goes to the thread (its backlog is under four batches).
    const lies: Record<number, (entry: SmallEntry) => Partial<SmallEntry>> = {
      150: (entry) => ({ crc32: (entry.crc32 + 1) >>> 0 }),
      151: () => ({ size: 3 }),
      152: (entry) => ({ size: entry.size + 1 }),
      153: (entry) => ({ compressed: entry.compressed.subarray(0, entry.compressed.length - 2) }),
      154: (entry) => ({ method: 0, size: entry.compressed.length }),
      // Bytes after the end of the deflate stream: the entry's data is not all deflate data.
      155: (entry) => ({ compressed: Buffer.concat([entry.compressed, Buffer.from([1, 2, 3])]) }),
    };
    for (const [at, lie] of Object.entries(lies)) {
      const item = items[Number(at)] as (typeof items)[number];
      item.entry = { ...item.entry, ...lie(item.entry) };
    }
    const thread = HashThread.start<SmallEntry>((entry) => sha256(inflateRawSync(entry.compressed)));
    if (thread === undefined) throw new Error('no thread');
    try {
      const slots = items.map(({ entry }) => thread.submit(entry));
      const digests = await Promise.all(slots.map((slot) => thread.digest(slot)));
      digests.forEach((digest, index) => {
        if (index in lies) expect(digest, `entry ${index}`).toBeUndefined();
        else expect(digest?.equals((items[index] as (typeof items)[number]).digest)).toBe(true);
      });
      expect(thread.batches).toEqual({ thread: 4, here: 1 });
    } finally {
      thread.close();
    }
  });

  it('reports the batches it held as unverified when it stops, and finishes the rest here', async () => {
    const items = smallEntries(400);
    let here = 0;
    const thread = HashThread.start<SmallEntry>((entry) => {
      here += 1;
      return sha256(inflateRawSync(entry.compressed));
    });
    if (thread === undefined) throw new Error('no thread');
    const slots = items.map(({ entry }) => thread.submit(entry));
    // Closed in the same turn: no reply can have arrived, so the sent batches are lost to the thread.
    thread.close();
    expect(thread.alive).toBe(false);
    const digests = await Promise.all(slots.map((slot) => thread.digest(slot)));
    const lost = digests.filter((digest) => digest === undefined).length;
    expect(lost).toBe(thread.batches.thread * 64);
    expect(lost).toBeGreaterThan(0);
    expect(here).toBe(400 - lost);
    digests.forEach((digest, index) => {
      if (digest !== undefined)
        expect(digest.equals((items[index] as (typeof items)[number]).digest)).toBe(true);
    });
  });

  it('never asks the main thread for a batch while the thread keeps up', async () => {
    const items = smallEntries(64);
    const thread = HashThread.start<SmallEntry>(decodeHere);
    if (thread === undefined) throw new Error('no thread');
    try {
      const slots = items.map(({ entry }) => thread.submit(entry));
      const digests = await Promise.all(slots.map((slot) => thread.digest(slot)));
      expect(
        digests.every((digest, index) => digest?.equals((items[index] as (typeof items)[number]).digest)),
      ).toBe(true);
      expect(thread.batches).toEqual({ thread: 1, here: 0 });
    } finally {
      thread.close();
    }
  });
});

describe('INGEST_HASH_THREAD', () => {
  it.each([
    [{ INGEST_HASH_THREAD: 'on' }, true],
    [{ INGEST_HASH_THREAD: 'off' }, false],
    [{ INGEST_HASH_THREAD: 'auto', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024' }, false],
    [{ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '3538' }, true],
    [{ INGEST_HASH_THREAD: 'off', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '10240' }, false],
  ])('%j -> %s', (env, expected) => {
    expect(wantsHashThread(env)).toBe(expected);
  });

  it('follows the cores outside Lambda', () => {
    expect(wantsHashThread({})).toBe(availableParallelism() >= 2);
  });

  it('refuses other values', () => {
    expect(() => wantsHashThread({ INGEST_HASH_THREAD: 'yes' })).toThrow(ConfigError);
  });
});
