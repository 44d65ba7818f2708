/**
 * The hashing pass over mixed entries: small ones are decoded and hashed inline, large ones on the thread
 * pool, and both kinds settle in archive order, so every hash is right and the first damaged entry in
 * the archive is the one reported, whichever path each took.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assetExtension, computeAssetHash } from '../../../lib/assets/hash.js';
import { readZip, rejectionOf, TEST_TENANT } from '../../helpers/zip-read.js';
import { buildZip, type ZipEntrySpec } from '../../helpers/zip-writer.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

/** Incompressible text: deflated, it stays above the inline-inflate threshold (16 KiB compressed). */
const bigText = (bytes: number) => Buffer.from(randomBytes(bytes).toString('base64').slice(0, bytes));

const MIXED: Array<{ name: string; data: Buffer; method?: number }> = [
  { name: 'public/a.txt', data: Buffer.from('small one') },
  { name: 'public/big.txt', data: bigText(200_000) },
  { name: 'public/b.css', data: Buffer.from('body{}') },
  { name: 'public/huge.bin', data: randomBytes(1_200_000), method: 0 },
  { name: 'public/c.html', data: Buffer.from('<p>last</p>') },
];

describe('hashing pass', () => {
  it('hashes small (inline) and large (thread pool) entries alike, whatever their order', async () => {
    const artifact = await readZip(buildZip(MIXED));
    for (const { name, data } of MIXED) {
      const path = name.slice('public'.length);
      const asset = artifact.assets.find((item) => item.path === path);
      expect(asset?.hash).toBe(computeAssetHash(TEST_TENANT, assetExtension(path), sha256(data)));
    }
  });

  it.each([
    ['a large entry before a small one', 'public/big.txt', 'public/c.html'],
    ['a small entry before a large one', 'public/a.txt', 'public/huge.bin'],
  ])('reports the first damaged entry in the archive: %s', async (_label, first, second) => {
    const damaged = new Set([first, second]);
    const entries: ZipEntrySpec[] = MIXED.map((entry) =>
      damaged.has(entry.name) ? { ...entry, crc32: 12345 } : entry,
    );
    const rejection = await rejectionOf(readZip(buildZip(entries)));
    expect(rejection).toMatchObject({ code: 'artifact.corrupt', entry: `/${first}` });
  });
});
