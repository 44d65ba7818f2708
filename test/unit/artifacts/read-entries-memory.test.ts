/** Entry buffers handed to callers own their memory, so a held bucket does not pin whole read chunks. */
import { crc32, deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeEntrySync, inflateChunkSize } from '../../../lib/artifacts/entry-decoder.js';
import { readArtifact } from '../../../lib/artifacts/read-artifact.js';
import { compactBuffer, readEntryBuffers } from '../../../lib/artifacts/read-entries.js';
import { openBufferSource } from '../../../lib/artifacts/sources/buffer-source.js';
import { buildZip } from '../../helpers/zip-writer.js';

/** Node's pool slab: smaller copies may share one, which pins nothing beyond it. */
const POOL_BYTES = Buffer.poolSize;

describe('entry buffers kept by callers', () => {
  it.each([
    ['stored', 0 as const],
    ['deflated', 8 as const],
  ])('do not pin the chunk they were read from (%s entries)', async (_, method) => {
    // Prepare: small entries inside one 1 MiB source chunk
    const entries = Array.from({ length: 40 }, (__, i) => ({
      name: `public/f${i}.txt`,
      data: Buffer.alloc(6000 + i, `entry ${i} `),
      method,
    }));
    const source = openBufferSource(buildZip(entries), 1024 * 1024);
    const artifact = await readArtifact(source, { tenant: 'acme' });

    // Act
    const buffers = await readEntryBuffers(
      source,
      artifact.assets.map((asset) => asset.location),
    );

    // Assess
    const byName = new Map(entries.map((entry) => [`/${entry.name.slice('public/'.length)}`, entry.data]));
    for (const [index, buffer] of buffers.entries()) {
      expect(buffer.equals(byName.get(artifact.assets[index]?.path ?? '') ?? Buffer.alloc(0))).toBe(true);
      expect(buffer.buffer.byteLength).toBeLessThanOrEqual(Math.max(POOL_BYTES, buffer.byteLength));
    }
  });

  it('copies a view and keeps a buffer that already owns its memory', () => {
    // Prepare
    const backing = Buffer.allocUnsafeSlow(64 * 1024).fill(7);
    const view = backing.subarray(100, 20_100);
    const owner = Buffer.allocUnsafeSlow(20_000).fill(9);

    // Act
    const copied = compactBuffer(view);
    const kept = compactBuffer(owner);

    // Assess
    expect(copied.buffer).not.toBe(backing.buffer);
    expect(copied.buffer.byteLength).toBe(20_000);
    expect(copied.equals(view)).toBe(true);
    expect(kept).toBe(owner);
  });
});

describe('inflate output sizing', () => {
  it('gives an entry an output chunk of its own size, from 64 bytes (zlib minimum) up to 1 MiB', () => {
    expect(inflateChunkSize(0)).toBe(64);
    expect(inflateChunkSize(500)).toBe(501);
    expect(inflateChunkSize(20_000)).toBe(20_001);
    expect(inflateChunkSize(50 * 1024 * 1024)).toBe(1024 * 1024);
  });

  it('inflates a small entry without allocating a chunk larger than a pool slab', () => {
    // Prepare: a 500-byte text, deflated
    const content = Buffer.alloc(500, 'small text ');
    const compressed = deflateRawSync(content);

    // Act
    const bytes = decodeEntrySync(compressed, {
      offset: 0,
      method: 8,
      size: content.length,
      compressedSize: compressed.length,
      crc32: crc32(content) >>> 0,
    });

    // Assess: the result is the content, in (a view of) no more than Node's 8 KiB pool slab
    expect(bytes.equals(content)).toBe(true);
    expect(bytes.buffer.byteLength).toBeLessThanOrEqual(POOL_BYTES);
  });
});
