/**
 * The benchmark's sites, generated at run time from a seed (nothing large is committed): a Worker with a
 * tiny main module and a `public/` directory of mixed assets. ~40% of the files are incompressible
 * "binary" (images, fonts: AES-CTR keystream, stored in the zip) and ~60% text (HTML/CSS/JS/JSON from a
 * word corpus, deflated ~3:1), sizes spread log-uniformly over 1x-200x and scaled to the requested total.
 * The same bytes are written as a wrangler project directory (the peer) and as a zip (our pipeline).
 */
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import yazl from 'yazl';

/** What to generate. `changed` re-seeds that fraction of the files (a follow-up build of the same site). */
export interface SiteSpec {
  files: number;
  /** Total asset bytes (uncompressed). */
  bytes: number;
  seed: number;
  changed?: { fraction: number; generation: number };
}

/** One asset of the site. */
export interface SiteFile {
  path: string;
  size: number;
  binary: boolean;
}

/** A generated site: its asset list and a deterministic content function. */
export interface Site {
  spec: SiteSpec;
  files: SiteFile[];
  totalBytes: number;
  content(index: number): Buffer;
}

const BINARY_EXTENSIONS = ['png', 'jpg', 'webp', 'woff2'];
const TEXT_EXTENSIONS = ['html', 'css', 'js', 'json', 'svg', 'txt'];
const MAX_ASSET_BYTES = 25 * 1024 * 1024;
const FIXED_TIME = new Date('2026-01-01T00:00:00Z');

/** The Worker of every bench site (an ES module that serves its assets). */
export const WORKER_SOURCE =
  'export default { async fetch(request, env) { return env.ASSETS.fetch(request); } };\n';

/** wrangler.jsonc of a bench site; the same file drives wrangler and our artifact reader. */
export const wranglerConfig = (name: string): string =>
  `${JSON.stringify(
    {
      name,
      main: 'src/index.js',
      compatibility_date: '2025-01-15',
      assets: { directory: './public', binding: 'ASSETS' },
    },
    null,
    2,
  )}\n`;

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function keystream(label: string, length: number): Buffer {
  const key = createHash('sha256').update(label).digest();
  return createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32)).update(
    Buffer.alloc(length),
  );
}

/** Up to 4 MiB of words and line breaks: text assets are slices of it, so they deflate like real text. */
function buildCorpus(random: () => number, bytes: number): Buffer {
  const words = Array.from({ length: 1500 }, () => {
    let word = '';
    const length = 2 + Math.floor(random() * 9);
    for (let i = 0; i < length; i += 1) word += String.fromCharCode(97 + Math.floor(random() * 26));
    return word;
  });
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const word = words[Math.floor(random() * words.length)] ?? 'x';
    parts.push(word, random() < 0.08 ? '\n' : ' ');
    size += word.length + 1;
  }
  return Buffer.from(parts.join(''));
}

const compareText = (a = '', b = ''): number => (a < b ? -1 : a > b ? 1 : 0);

/** Generates the asset list of `spec` (content is produced on demand). */
export function generateSite(spec: SiteSpec): Site {
  const random = createRandom(spec.seed);
  const corpus = buildCorpus(random, Math.min(4 * 1024 * 1024, Math.max(256 * 1024, spec.bytes)));
  const weights = Array.from({ length: spec.files }, () => Math.exp(random() * Math.log(200)));
  const scale = spec.bytes / weights.reduce((sum, weight) => sum + weight, 0);
  const offsets: number[] = [];
  const files: SiteFile[] = weights.map((weight, index) => {
    const binary = random() < 0.4;
    const extensions = binary ? BINARY_EXTENSIONS : TEXT_EXTENSIONS;
    const extension = extensions[Math.floor(random() * extensions.length)] ?? 'bin';
    const size = Math.min(MAX_ASSET_BYTES, Math.max(16, Math.round(weight * scale)));
    offsets.push(Math.floor(random() * Math.max(1, corpus.length - size)));
    const name =
      index === 0 ? 'index.html' : `s${index % 40}/p${Math.floor(index / 40) % 25}/f${index}.${extension}`;
    return { path: name, size, binary: index === 0 ? false : binary };
  });
  // Archives list files the way a directory walk finds them: grouped by directory, sorted.
  const order = files.map((_, index) => index).sort((a, b) => compareText(files[a]?.path, files[b]?.path));
  const sortedFiles = order.map((index) => files[index] as SiteFile);
  const sortedOffsets = order.map((index) => offsets[index] ?? 0);
  files.splice(0, files.length, ...sortedFiles);
  offsets.splice(0, offsets.length, ...sortedOffsets);
  const changedRandom = createRandom(spec.seed ^ 0x5eed);
  // One draw per file, in order: which files a follow-up build changes.
  const generations = files.map(() =>
    spec.changed !== undefined && changedRandom() < spec.changed.fraction ? spec.changed.generation : 0,
  );
  return {
    spec,
    files,
    totalBytes: files.reduce((sum, file) => sum + file.size, 0),
    content(index) {
      const file = files[index];
      if (file === undefined) throw new RangeError(`no file ${index}`);
      const label = `${spec.seed}:${index}:${generations[index] ?? 0}`;
      if (file.binary) return keystream(label, file.size);
      const start = offsets[index] ?? 0;
      // fill() repeats the slice when a file is longer than the corpus.
      const text = Buffer.alloc(file.size, corpus.subarray(start));
      if ((generations[index] ?? 0) > 0) text.write(label.padEnd(Math.min(text.length, 24), ' '), 0);
      return text;
    },
  };
}

/** Writes the site as a wrangler project: `wrangler.jsonc`, `src/index.js`, `public/...`. */
export async function writeSiteProject(site: Site, directory: string, name: string): Promise<void> {
  await mkdir(join(directory, 'src'), { recursive: true });
  await writeFile(join(directory, 'wrangler.jsonc'), wranglerConfig(name));
  await writeFile(join(directory, 'src', 'index.js'), WORKER_SOURCE);
  const made = new Set<string>();
  for (const [index, file] of site.files.entries()) {
    const path = join(directory, 'public', file.path);
    const parent = dirname(path);
    if (!made.has(parent)) {
      await mkdir(parent, { recursive: true });
      made.add(parent);
    }
    await writeFile(path, site.content(index));
  }
}

/** Writes the site as a build artifact zip (text deflated, binary stored, as build tools do). */
export async function writeSiteZip(site: Site, path: string, name: string): Promise<number> {
  const zip = new yazl.ZipFile();
  const output = createWriteStream(path);
  zip.outputStream.pipe(output);
  const options = { mtime: FIXED_TIME, mode: 0o100644 };
  zip.addBuffer(Buffer.from(wranglerConfig(name)), 'wrangler.jsonc', options);
  zip.addBuffer(Buffer.from(WORKER_SOURCE), 'src/index.js', options);
  for (const [index, file] of site.files.entries()) {
    zip.addBuffer(site.content(index), `public/${file.path}`, { ...options, compress: !file.binary });
  }
  zip.end();
  await finished(output);
  return output.bytesWritten;
}
