/**
 * `node --import tsx scripts/make-fuzz-corpus.ts`: writes the fuzzer's seed corpus to
 * test/fixtures/fuzz-corpus/ (run once; the files are committed). Each seed is a small valid artifact
 * from a real producer (Info-ZIP `zip`, python3 `zipfile`, yazl) or the test zip writer, covering the
 * shapes the reader supports: data descriptors, zip64 entries and end records, stored entries, archive
 * comments, a wrapper folder, Unicode Path extra fields, CP437 names, directories, junk, modules and
 * steering files. Every seed is read back and must be accepted, or the script fails.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { readArtifact } from '../lib/artifacts/read-artifact.js';
import { openBufferSource } from '../lib/artifacts/sources/buffer-source.js';
import { type SiteFiles, zipWithInfoZip, zipWithPython, zipWithYazl } from '../test/helpers/zip-producers.js';
import { buildZip, type ZipEntrySpec } from '../test/helpers/zip-writer.js';

export const CORPUS_DIR = join(import.meta.dirname, '..', 'test', 'fixtures', 'fuzz-corpus');

const page = (title: string) => `<!doctype html><title>${title}</title><h1>${title}</h1>\n`.repeat(8);

const SITE: SiteFiles = {
  'wrangler.json': JSON.stringify({
    main: 'src/index.js',
    compatibility_date: '2025-01-01',
    vars: { GREETING: 'hello' },
    assets: { directory: 'public', not_found_handling: '404-page' },
  }),
  'src/index.js':
    'import { greet } from "./lib/greet.js";\nexport default { fetch: () => new Response(greet()) };\n',
  'src/lib/greet.js': 'export const greet = () => "hello";\n',
  'src/data.txt': 'some module data\n',
  'public/index.html': page('home'),
  'public/404.html': page('not found'),
  'public/css/site.css': 'body { font-family: sans-serif; }\n'.repeat(10),
  'public/_headers': '/*\n  X-Frame-Options: DENY\n',
  'public/_redirects': '/old /new 301\n',
  'public/.assetsignore': '*.map\n',
  'public/app.js.map': '{}',
};

const DEFAULTS: SiteFiles = {
  'index.js': 'export default { fetch: () => new Response("defaults") };\n',
  'public/index.html': page('defaults'),
  'public/img/dot.bin': Buffer.from([0, 1, 2, 3, 255, 254]),
};

const unicodePath = (name: string, real: string) => {
  const data = Buffer.concat([Buffer.from([1]), Buffer.alloc(4), Buffer.from(real)]);
  data.writeUInt32LE(crc32(Buffer.from(name, 'latin1')) >>> 0, 1);
  const header = Buffer.alloc(4);
  header.writeUInt16LE(0x7075, 0);
  header.writeUInt16LE(data.length, 2);
  return Buffer.concat([header, data]);
};

const entriesOf = (files: SiteFiles, extra: Partial<ZipEntrySpec> = {}): ZipEntrySpec[] =>
  Object.entries(files).map(([name, data]) => ({ name, data, ...extra }));

/** The seeds, by file name. */
async function seeds(): Promise<Record<string, Buffer>> {
  return {
    'infozip-site.zip': await zipWithInfoZip(SITE),
    // Not streamed and zip64 together: Info-ZIP 3.0 then saturates the EOCD without writing zip64 records.
    'infozip-streamed.zip': await zipWithInfoZip(SITE, { streamed: true }),
    'infozip-zip64.zip': await zipWithInfoZip(DEFAULTS, { zip64: true }),
    'infozip-stored-comment.zip': await zipWithInfoZip(DEFAULTS, { store: true, comment: 'built by ci' }),
    'python-streamed.zip': await zipWithPython(SITE, { streamed: true }),
    'python-zip64-comment.zip': await zipWithPython(DEFAULTS, { zip64: true, comment: 'release 1.2.3' }),
    'yazl-zip64.zip': await zipWithYazl(SITE, { zip64: true }),
    'yazl-streamed-stored.zip': await zipWithYazl(DEFAULTS, { streamed: true, store: true }),
    'writer-zip64-end.zip': buildZip(entriesOf(SITE, { zip64: true, dataDescriptor: true }), {
      zip64End: true,
    }),
    'writer-wrapper.zip': buildZip([
      { name: 'dist/' },
      {
        name: 'dist/wrangler.jsonc',
        data: '// config\n{ "main": "worker.mjs", "assets": { "directory": "static" }, }',
      },
      { name: 'dist/worker.mjs', data: 'export default { fetch: () => new Response("w") };' },
      { name: Buffer.from('dist/static/caf\x82.txt', 'latin1'), data: 'cp437 name', utf8: false },
      {
        name: 'dist/static/x.txt',
        data: 'unicode path',
        centralExtra: unicodePath('dist/static/x.txt', 'dist/static/\u00fcber.txt'),
      },
      { name: '__MACOSX/dist/._worker.mjs', data: 'junk' },
      { name: 'dist/static/.DS_Store', data: 'junk' },
    ]),
    'writer-assets-only.zip': buildZip(
      entriesOf({
        'public/index.html': page('assets only'),
        'public/.assetsignore': 'drafts/\n',
        'public/drafts/wip.html': page('wip'),
        'public/a/b/c/deep.txt': 'deep',
      }),
    ),
    'writer-modules.zip': buildZip(
      entriesOf(
        {
          'wrangler.json': '{ "main": "src/worker.js" }',
          'src/worker.js': 'import w from "./add.wasm"; export default { fetch: () => new Response("m") };',
          'src/chunk.mjs': 'export const x = 1;',
          'src/add.wasm': Buffer.from('0061736d01000000', 'hex'),
          'src/worker.js.map': '{"version":3}',
          'src/blob.bin': Buffer.alloc(300, 7),
        },
        { method: 0 },
      ),
    ),
  };
}

/**
 * Reproducers of the known issues (test/fuzz/known-issues.ts), smallest first: bugs outside the reader
 * that the fuzzer found; the smoke test checks they still reproduce until they are fixed.
 */
const KNOWN: Record<string, Buffer> = {
  'content-type-prototype-keys.zip': buildZip([
    { name: 'worker.js', data: 'export default {}' },
    { name: 'public/x.constructor', data: 'x' },
  ]),
  // About 1 s on a 2-core machine (k = 4 globstars, 130 segments; the time grows as segments^k).
  'assetsignore-backtracking.zip': buildZip([
    { name: 'worker.js', data: 'export default {}' },
    { name: 'public/.assetsignore', data: `${'a/**/'.repeat(4)}z\n` },
    { name: `public/${'a/'.repeat(130)}q.txt`, data: 'q' },
  ]),
};

async function main(): Promise<void> {
  await mkdir(CORPUS_DIR, { recursive: true });
  for (const name of await readdir(CORPUS_DIR)) {
    if (name.endsWith('.zip')) await rm(join(CORPUS_DIR, name));
  }
  for (const [name, bytes] of Object.entries(await seeds())) {
    const artifact = await readArtifact(openBufferSource(bytes), { tenant: 'fuzz' });
    await writeFile(join(CORPUS_DIR, name), bytes);
    console.log(
      `${name}: ${bytes.length} bytes, ${artifact.entries.length} files, ${artifact.assets.length} assets`,
    );
  }
  await mkdir(join(CORPUS_DIR, 'known'), { recursive: true });
  for (const [name, bytes] of Object.entries(KNOWN)) {
    await writeFile(join(CORPUS_DIR, 'known', name), bytes);
    console.log(`known/${name}: ${bytes.length} bytes`);
  }
}

await main();
