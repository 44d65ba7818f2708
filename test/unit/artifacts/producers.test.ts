/**
 * The same site zipped by different real producers, with and without data descriptors, zip64, stored
 * entries, comments and a wrapper folder, gives the same manifest, modules, entries and config.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Artifact } from '../../../lib/artifacts/types.js';
import { PRODUCERS, type ProducerOptions, type SiteFiles } from '../../helpers/zip-producers.js';
import { readZip, summarise } from '../../helpers/zip-read.js';
import { buildZip } from '../../helpers/zip-writer.js';

const SITE: SiteFiles = {
  'wrangler.jsonc':
    '{ "main": "src/index.js", "compatibility_date": "2025-01-15", "assets": { "directory": "public" } }',
  'src/index.js':
    'import { x } from "./lib/x.js";\nexport default { fetch() { return new Response(x); } };\n',
  'src/lib/x.js': 'export const x = "hello";\n',
  'src/data.bin': Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 31) % 256)),
  'public/index.html': `<!doctype html><title>site</title>${'<p>text</p>'.repeat(500)}`,
  'public/caf\u00e9 menu \u00fc.txt': 'unicode name',
  'public/img/logo.png': Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7 + 3) % 256)),
  'public/empty.txt': '',
  'public/_headers': '/*\n  X-Test: 1\n',
  'public/.assetsignore': 'drafts/\n',
  'public/drafts/wip.html': 'not published',
};

/** The site with NFD file names, as macOS tools write them. */
const NFD_SITE: SiteFiles = Object.fromEntries(
  Object.entries(SITE).map(([path, content]) => [path.normalize('NFD'), content]),
);
const wrapped = (files: SiteFiles): SiteFiles =>
  Object.fromEntries(Object.entries(files).map(([path, content]) => [`build-output/${path}`, content]));

const VARIANTS: Array<{ name: string; files: SiteFiles; options: ProducerOptions }> = [
  { name: 'deflated', files: SITE, options: {} },
  { name: 'stored', files: SITE, options: { store: true } },
  { name: 'streamed (data descriptors)', files: SITE, options: { streamed: true } },
  { name: 'zip64', files: SITE, options: { zip64: true } },
  { name: 'with a 300-byte comment', files: SITE, options: { comment: 'c'.repeat(300) } },
  { name: 'in a wrapper folder', files: wrapped(SITE), options: {} },
  { name: 'with NFD names', files: NFD_SITE, options: {} },
];

/** What an archive really contains, so each variant provably exercises what it claims. */
function features(zip: Buffer) {
  let dataDescriptors = false;
  let zip64 = zip.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]));
  const local = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
  for (let at = zip.indexOf(local); at >= 0; at = zip.indexOf(local, at + 4)) {
    if ((zip.readUInt16LE(at + 6) & 0x8) !== 0) dataDescriptors = true;
    if (zip.readUInt16LE(at + 4) >= 45) zip64 = true;
  }
  const methods = new Set<number>();
  const central = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
  for (let at = zip.indexOf(central); at >= 0; at = zip.indexOf(central, at + 4))
    methods.add(zip.readUInt16LE(at + 10));
  return { dataDescriptors, zip64, deflated: methods.has(8) };
}

let reference: ReturnType<typeof summarise>;

beforeAll(async () => {
  reference = summarise(
    await readZip(buildZip(Object.entries(SITE).map(([name, data]) => ({ name, data })))),
  );
});

describe('the same site from different producers', () => {
  it('has the expected shape (reference from the hand-made writer)', () => {
    expect(reference.assets.map((asset) => asset.path)).toEqual([
      '/caf\u00e9 menu \u00fc.txt',
      '/empty.txt',
      '/img/logo.png',
      '/index.html',
    ]);
    expect(reference.modules.map((module) => module.name)).toEqual(['index.js', 'data.bin', 'lib/x.js']);
    expect(reference.config.assets).toEqual({ _headers: '/*\n  X-Test: 1\n' });
  });

  const rows = PRODUCERS.flatMap((producer) =>
    VARIANTS.map((variant) => ({ producer, variant, label: `${producer.name}, ${variant.name}` })),
  );
  it.each(rows)('gives the reference manifest: $label', async ({ producer, variant }) => {
    // Prepare
    const zip = await producer.zip(variant.files, variant.options);
    // Act
    const artifact: Artifact = await readZip(zip);
    // Assess
    expect(summarise(artifact)).toEqual(reference);
    const found = features(zip);
    if (variant.options.streamed) expect(found.dataDescriptors).toBe(true);
    if (variant.options.zip64) expect(found.zip64).toBe(true);
    expect(found.deflated).toBe(variant.options.store !== true);
  });
});

describe('end records', () => {
  it('reads zip64 end records (saturated classic fields)', async () => {
    const zip = buildZip(
      [
        { name: 'worker.js', data: 'export default {}', zip64: true },
        { name: 'public/a.txt', data: 'a'.repeat(1000), zip64: true, dataDescriptor: true },
      ],
      { zip64End: true },
    );
    const artifact = await readZip(zip);
    expect(artifact.assets.map((asset) => [asset.path, asset.size])).toEqual([['/a.txt', 1000]]);
  });

  it('finds the real end record behind a comment that contains a fake one', async () => {
    const fake = Buffer.alloc(22);
    fake.writeUInt32LE(0x06054b50, 0);
    fake.writeUInt32LE(999_999, 16);
    const comment = Buffer.concat([Buffer.from('build 42 '), fake, Buffer.from(' end')]);
    const artifact = await readZip(buildZip([{ name: 'worker.js', data: 'x' }], { comment }));
    expect(artifact.config.mainModule).toBe('worker.js');
  });

  it('finds the end record behind the longest comment (65,535 bytes) with a second tail read', async () => {
    const zip = buildZip([{ name: 'worker.js', data: 'x' }], { comment: 'z'.repeat(0xffff) });
    const artifact = await readZip(zip);
    expect(artifact.config.mainModule).toBe('worker.js');
  });

  it('reads an archive with a stored nested zip as its last entry', async () => {
    const nested = buildZip([{ name: 'inner.txt', data: 'inner' }]);
    const zip = buildZip([
      { name: 'worker.js', data: 'x' },
      { name: 'public/bundle.zip', data: nested, method: 0 },
    ]);
    const artifact = await readZip(zip);
    expect(artifact.assets.map((asset) => [asset.path, asset.size, asset.contentType])).toEqual([
      ['/bundle.zip', nested.length, 'application/zip'],
    ]);
  });

  it('reads an archive with bytes before the first entry (offsets stay absolute)', async () => {
    const artifact = await readZip(
      buildZip([{ name: 'worker.js', data: 'x' }], { prefix: Buffer.from('#!/bin/sh\n') }),
    );
    expect(artifact.config.mainModule).toBe('worker.js');
  });
});
