/**
 * Generates the benchmark archive with yazl, deterministically from a seed: 40% "binary" files (AES-CTR
 * keystream, stored, like images) and 60% "text" files (random word sequences, deflated ~3:1, like
 * HTML/JS/CSS), sized so the archive is about the requested size. Content is produced lazily per entry,
 * so generating a gigabyte does not hold a gigabyte.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import yazl from 'yazl';

export interface BenchArchiveOptions {
  bytes: number;
  files: number;
  seed: number;
}

/** mulberry32: a tiny seeded PRNG (uniform in [0, 1)). */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A deterministic keystream of `length` bytes for file `index`. */
function keystream(seed: number, index: number, length: number): Buffer {
  const key = createHash('sha256').update(`bench:${seed}:${index}`).digest();
  return createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32)).update(
    Buffer.alloc(length),
  );
}

/** 8 MiB of random words: text files are slices of it at random offsets. */
function buildCorpus(random: () => number): Buffer {
  const words: string[] = [];
  for (let i = 0; i < 2048; i += 1) {
    const length = 2 + Math.floor(random() * 9);
    let word = '';
    for (let j = 0; j < length; j += 1) word += String.fromCharCode(97 + Math.floor(random() * 26));
    words.push(word);
  }
  const parts: string[] = [];
  let size = 0;
  while (size < 8 * 1024 * 1024) {
    const word = words[Math.floor(random() * words.length)] ?? 'x';
    const separator = random() < 0.08 ? '\n' : ' ';
    parts.push(word, separator);
    size += word.length + 1;
  }
  return Buffer.from(parts.join(''));
}

/** Lazily produces `length` bytes from `make` in 1 MiB pieces when yazl asks. */
function lazyStream(length: number, make: (offset: number, size: number) => Buffer): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= length) {
        this.push(null);
        return;
      }
      const size = Math.min(1024 * 1024, length - offset);
      this.push(make(offset, size));
      offset += size;
    },
  });
}

/** Writes the archive to `path`; returns the total uncompressed size. */
export async function generateBenchArchive(
  path: string,
  options: BenchArchiveOptions,
): Promise<{ uncompressed: number }> {
  const random = prng(options.seed);
  const corpus = buildCorpus(random);
  const zip = new yazl.ZipFile();
  const output = createWriteStream(path);
  zip.outputStream.pipe(output);
  const perFile = options.bytes / options.files;
  let uncompressed = 0;
  for (let index = 0; index < options.files; index += 1) {
    const target = Math.max(64, Math.round(perFile * (0.2 + random() * 1.6)));
    const directory = `public/section-${index % 50}/page-${Math.floor(index / 50) % 40}`;
    if (random() < 0.4) {
      const stream = lazyStream(target, (offset, size) =>
        keystream(options.seed, index, offset + size).subarray(offset),
      );
      zip.addReadStream(stream, `${directory}/image-${index}.png`, { compress: false, size: target });
      uncompressed += target;
    } else {
      const size = Math.min(target * 3, corpus.length);
      const start = Math.floor(random() * (corpus.length - size));
      const stream = lazyStream(size, (offset, length) =>
        corpus.subarray(start + offset, start + offset + length),
      );
      zip.addReadStream(stream, `${directory}/text-${index}.html`, { size });
      uncompressed += size;
    }
  }
  zip.end();
  await finished(output);
  return { uncompressed };
}
