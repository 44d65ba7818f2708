/** Reading entries back by location (what upload and finalize do): verified bytes, coalesced ranges. */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readArtifact } from '../../../lib/artifacts/read-artifact.js';
import { MAX_GAP_BYTES, readEntries, readEntryBuffers } from '../../../lib/artifacts/read-entries.js';
import { openBufferSource } from '../../../lib/artifacts/sources/buffer-source.js';
import { openFileSource } from '../../../lib/artifacts/sources/file-source.js';
import type { EntryLocation } from '../../../lib/artifacts/types.js';
import { spyOn } from '../../helpers/spy-source.js';
import { readZip, rejectionOf } from '../../helpers/zip-read.js';
import { buildZip, localHeaderOffset, patchBytes } from '../../helpers/zip-writer.js';

const text = (length: number, seed: string) => Buffer.alloc(length, seed);

const FILES = {
  'worker.js': Buffer.from('export default {}'),
  'public/a.txt': text(5000, 'alpha '),
  'public/b.bin': text(3000, 'b'),
  'public/c.txt': text(20, 'gamma'),
  'public/d.txt': text(40_000, 'delta '),
};

const site = () =>
  buildZip([
    { name: 'worker.js', data: FILES['worker.js'] },
    { name: 'public/a.txt', data: FILES['public/a.txt'] },
    { name: 'public/b.bin', data: FILES['public/b.bin'], method: 0, dataDescriptor: true },
    { name: 'public/c.txt', data: FILES['public/c.txt'], zip64: true },
    {
      name: 'public/gap.bin',
      data: Buffer.from(Array.from({ length: MAX_GAP_BYTES + 1000 }, (_, i) => (i * 131) % 256)),
      method: 0,
    },
    { name: 'public/d.txt', data: FILES['public/d.txt'], dataDescriptor: true },
  ]);

async function locationsOf(zip: Buffer): Promise<Map<string, EntryLocation>> {
  const artifact = await readZip(zip);
  return new Map([
    ...artifact.assets.map((asset) => [`public${asset.path}`, asset.location] as const),
    ...artifact.modules.map((module) => [module.name, module.location] as const),
  ]);
}

describe('readEntryBuffers', () => {
  it('returns verified bytes in the order asked, duplicates included', async () => {
    const zip = site();
    const locations = await locationsOf(zip);
    const wanted = [
      'public/d.txt',
      'worker.js',
      'public/b.bin',
      'public/d.txt',
      'public/c.txt',
      'public/a.txt',
    ] as const;
    const buffers = await readEntryBuffers(
      openBufferSource(zip, 1000),
      wanted.map((name) => locations.get(name) as EntryLocation),
    );
    expect(buffers.map((buffer) => buffer.toString('hex'))).toEqual(
      wanted.map((name) => FILES[name].toString('hex')),
    );
  });

  it('coalesces neighbours into one ranged read and splits at gaps over 64 KiB', async () => {
    const zip = site();
    const locations = await locationsOf(zip);
    const { spy, streams } = spyOn(openBufferSource(zip));
    const wanted = ['public/a.txt', 'public/b.bin', 'public/c.txt', 'public/d.txt', 'worker.js'];
    await readEntryBuffers(
      spy,
      wanted.map((name) => locations.get(name) as EntryLocation),
    );
    expect(streams).toHaveLength(2);
    const transferred = streams.reduce((sum, { start, end }) => sum + end - start, 0);
    expect(transferred).toBeLessThan(zip.length - MAX_GAP_BYTES);
    expect(streams.every(({ stream }) => stream.destroyed)).toBe(true);
  });

  it('reads only the bytes of the entries asked for', async () => {
    const zip = site();
    const location = (await locationsOf(zip)).get('public/c.txt') as EntryLocation;
    const source = openBufferSource(zip);
    await readEntryBuffers(source, [location]);
    expect(source.bytesRead).toBe((location.headerSize ?? 0) + location.compressedSize);
  });
});

describe('readEntries verification', () => {
  it('rejects damaged bytes with artifact.corrupt', async () => {
    const zip = site();
    const location = (await locationsOf(zip)).get('public/b.bin') as EntryLocation;
    const damaged = patchBytes(zip, location.offset + (location.headerSize ?? 0) + 10, (view) => {
      view[0] = (view[0] ?? 0) ^ 0xff;
    });
    const rejection = await rejectionOf(readEntryBuffers(openBufferSource(damaged), [location]));
    expect(rejection.code).toBe('artifact.corrupt');
  });

  it('notices a local header that changed length since ingest', async () => {
    const zip = site();
    const location = (await locationsOf(zip)).get('public/a.txt') as EntryLocation;
    const rejection = await rejectionOf(
      readEntryBuffers(openBufferSource(zip), [{ ...location, headerSize: 31 }]),
    );
    expect(rejection).toMatchObject({ code: 'artifact.corrupt' });
    expect(rejection.message).toContain('changed');
  });

  it('stops inflating at the declared size + 1 (artifact.bomb-ratio)', async () => {
    const zip = site();
    const location = (await locationsOf(zip)).get('public/d.txt') as EntryLocation;
    const rejection = await rejectionOf(
      readEntryBuffers(openBufferSource(zip), [{ ...location, size: 100 }]),
    );
    expect(rejection.code).toBe('artifact.bomb-ratio');
  });

  it('rejects a location outside the archive', async () => {
    const zip = site();
    const location = (await locationsOf(zip)).get('public/a.txt') as EntryLocation;
    const rejection = await rejectionOf(
      readEntryBuffers(openBufferSource(zip), [{ ...location, offset: zip.length - 10 }]),
    );
    expect(rejection.code).toBe('artifact.corrupt');
  });

  it('reads legacy locations without headerSize (allowing for the largest header)', async () => {
    const zip = site();
    const { headerSize: _ignored, ...legacy } = (await locationsOf(zip)).get('public/a.txt') as EntryLocation;
    const [bytes] = await readEntryBuffers(openBufferSource(zip), [legacy]);
    expect(bytes?.equals(FILES['public/a.txt'])).toBe(true);
  });

  it('releases the stream when the consumer stops early', async () => {
    const zip = site();
    const locations = await locationsOf(zip);
    const { spy, streams } = spyOn(openBufferSource(zip, 512));
    for await (const entry of readEntries(spy, [
      locations.get('public/a.txt') as EntryLocation,
      locations.get('public/b.bin') as EntryLocation,
    ])) {
      expect(entry.index).toBe(0);
      break;
    }
    expect(streams[0]?.stream.destroyed).toBe(true);
  });

  it('checks the local name against the stored one when it is known', async () => {
    const zip = site();
    const patched = patchBytes(zip, localHeaderOffset(zip, 'public/a.txt') + 30, (view) => {
      view.write('P');
    });
    const rejection = await rejectionOf(readZip(patched));
    expect(rejection).toMatchObject({ code: 'artifact.corrupt', entry: '/public/a.txt' });
  });
});

describe('the file source', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'workers-drop-source-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads an artifact from disk in about one pass and closes its handle', async () => {
    const zip = site();
    const path = join(dir, 'site.zip');
    await writeFile(path, zip);
    const source = await openFileSource(path);
    const artifact = await readArtifact(source, { tenant: 'acme' });
    await source.close();
    await source.close();
    expect(artifact.entries.find((entry) => entry.path === '/public/d.txt')?.sha256).toBe(
      createHash('sha256').update(FILES['public/d.txt']).digest('hex'),
    );
    expect(artifact.stats.bytesRead).toBeLessThan(zip.length * 1.2);
    expect(process.getActiveResourcesInfo().filter((name) => name === 'FileHandle')).toEqual([]);
  });

  it('reads short at the end, streams empty ranges, and refuses reads after close', async () => {
    const path = join(dir, 'bytes.bin');
    await writeFile(path, Buffer.from('0123456789'));
    const source = await openFileSource(path);
    expect((await source.read(7, 10)).toString()).toBe('789');
    const chunks: Buffer[] = [];
    for await (const chunk of source.stream(4, 4)) chunks.push(chunk as Buffer);
    expect(chunks).toEqual([]);
    for await (const chunk of source.stream(2, 5)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('234');
    expect(source.bytesRead).toBe(6);
    await source.close();
    await expect(source.read(0, 1)).rejects.toThrow();
  });
});
