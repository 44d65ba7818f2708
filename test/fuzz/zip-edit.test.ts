/**
 * The structure-aware mutations are only as good as the map and the repairs: a repaired edit must leave
 * an archive that is valid apart from the one change, and an unrepaired one must leave it lying.
 */
import { describe, expect, it } from 'vitest';
import { readZip, rejectionOf } from '../helpers/zip-read.js';
import { buildZip, type ZipEntrySpec, type ZipSpec } from '../helpers/zip-writer.js';
import { CORPUS_DIR, readZips } from './findings.js';
import { generateInput } from './inputs.js';
import { splice } from './zip-edit.js';
import { mapZip, type ZipMap } from './zip-map.js';

const entries = (extra: Partial<ZipEntrySpec>): ZipEntrySpec[] => [
  { name: 'worker.js', data: 'export default {}', ...extra },
  { name: 'public/a.txt', data: 'alpha '.repeat(100), ...extra },
  { name: 'public/b.txt', data: 'beta', ...extra },
];

const SHAPES: Array<{ shape: string; zip: Buffer }> = [
  { shape: 'plain', zip: buildZip(entries({})) },
  { shape: 'data descriptors', zip: buildZip(entries({ dataDescriptor: true })) },
  { shape: 'zip64 entries and end records', zip: buildZip(entries({ zip64: true }), { zip64End: true }) },
  {
    shape: 'stored, with a comment',
    zip: buildZip(entries({ method: 0 }), { comment: 'hello' } satisfies ZipSpec),
  },
];

const region = (map: ZipMap, label: string) => {
  const found = map.regions.find((candidate) => candidate.label === label);
  if (found === undefined) throw new Error(`no region ${label}`);
  return found;
};

/** Renames entry `index` in its central record and (when repairing) its local header. */
function rename(zip: Buffer, index: number, name: string, fix: boolean): Buffer {
  const map = mapZip(zip);
  const central = region(map, `central[${index}].name`);
  const renamed = splice(zip, map, central.at, central.length, Buffer.from(name), { fix, region: central });
  if (!fix) return renamed;
  const remapped = mapZip(renamed);
  const local = region(remapped, `local[${index}].name`);
  return splice(renamed, remapped, local.at, local.length, Buffer.from(name), { fix, region: local });
}

describe('zip map and repaired edits', () => {
  it.each(SHAPES)('map every record of an archive ($shape)', ({ zip }) => {
    // Act
    const map = mapZip(zip);
    // Assess
    expect(map.centralRecords).toHaveLength(3);
    const labels = new Set([...map.fields, ...map.regions].map((part) => part.label));
    for (const label of [
      'eocd.cdOffset',
      'eocd.comment',
      'central[2].localOffset',
      'local[2].name',
      'local[1].data',
    ])
      expect(labels).toContain(label);
  });

  it.each(SHAPES)('a repaired rename keeps the archive valid ($shape)', async ({ zip }) => {
    // Act
    const artifact = await readZip(rename(zip, 1, 'public/deeper/renamed.txt', true));
    // Assess
    expect(artifact.assets.map((asset) => asset.path)).toEqual(['/b.txt', '/deeper/renamed.txt']);
  });

  it.each(SHAPES)('an unrepaired rename of the central record leaves it lying ($shape)', async ({ zip }) => {
    // Act
    const rejection = await rejectionOf(readZip(rename(zip, 1, 'public/deeper/renamed.txt', false)));
    // Assess
    expect(rejection.code).toMatch(/^artifact\.(corrupt|not-a-zip)$/);
  });

  it.each(SHAPES)('a repaired extra block and comment keep the archive valid ($shape)', async ({ zip }) => {
    // Prepare: an unknown extra block (id 0xcafe) on the first central record, then a longer comment
    const map = mapZip(zip);
    const extra = region(map, 'central[0].extra');
    const block = Buffer.from([0xfe, 0xca, 0x02, 0x00, 0x01, 0x02]);
    const padded = splice(zip, map, extra.at + extra.length, 0, block, { fix: true, region: extra });
    const remapped = mapZip(padded);
    const comment = region(remapped, 'eocd.comment');
    const commented = splice(padded, remapped, comment.at, 0, Buffer.from('a longer comment'), {
      fix: true,
      region: comment,
    });
    // Act
    const artifact = await readZip(commented);
    // Assess
    expect(artifact.entries).toHaveLength(3);
  });

  it('a duplicated central record (counts repaired) is refused, not read twice', async () => {
    // Prepare
    const zip = SHAPES[0]?.zip as Buffer;
    const map = mapZip(zip);
    const record = region(map, 'central[1]');
    const copy = zip.subarray(record.at, record.at + record.length);
    const doubled = splice(zip, map, record.at + record.length, 0, Buffer.from(copy), {
      fix: true,
      region: region(map, 'centralDirectory'),
      countDelta: 1,
    });
    // Act
    const rejection = await rejectionOf(readZip(doubled));
    // Assess
    expect(rejection.code).toMatch(/^artifact\.(corrupt|duplicate-entry)$/);
  });
});

describe('fuzz inputs', () => {
  it('are regenerated identically from seed and iteration, in any order', () => {
    // Prepare
    const seeds = readZips(CORPUS_DIR);
    const iterations = Array.from({ length: 150 }, (_, i) => i * 7);
    const forward = iterations.map((i) => generateInput(seeds, 99, i).bytes);
    // Act
    const backward = [...iterations]
      .reverse()
      .map((i) => generateInput(seeds, 99, i).bytes)
      .reverse();
    // Assess
    expect(backward.every((bytes, i) => bytes.equals(forward[i] as Buffer))).toBe(true);
    expect(new Set(forward.map((bytes) => bytes.toString('base64'))).size).toBeGreaterThan(140);
  });
});
