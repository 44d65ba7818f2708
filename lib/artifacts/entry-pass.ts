/**
 * The single sequential pass over the archive: one stream from the first kept entry to the end of the
 * last, cut into entries, each inflated, size- and CRC-checked and hashed (sha256). Work runs in a
 * bounded window so inflating and hashing (zlib and WebCrypto use libuv's thread pool) overlap with
 * reading, while memory stays bounded by the window plus one entry.
 */
import { hash, webcrypto } from 'node:crypto';
import type { FileEntry } from './entry-checks.js';
import { decodeEntry, decodeEntrySync, decodesInline } from './entry-decoder.js';
import { sliceEntries } from './entry-slicer.js';
import type { ZipSource } from './types.js';

/** Progress of the pass, for a progress display. */
export interface PassProgress {
  entriesDone: number;
  entriesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface PassOptions {
  onProgress?: (progress: PassProgress) => void;
}

/** Compressed + uncompressed bytes of the entries being worked on at once (at least one entry). */
const WINDOW_BYTES = 16 * 1024 * 1024;
/** Entries being worked on at once. */
const WINDOW_ENTRIES = 32;
/** Below this size, hashing on the main thread beats a thread-pool round trip. */
const SYNC_HASH_BYTES = 1024 * 1024;

/** sha256 of `content` as 32 raw bytes. */
async function digest(content: Buffer): Promise<Buffer> {
  if (content.length < SYNC_HASH_BYTES) return hash('sha256', content, 'buffer');
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', content));
}

interface Job {
  file: FileEntry;
  headerSize: number;
  cost: number;
  /** The digest, or its promise while the thread pool works. */
  result: Promise<Buffer> | Buffer;
}

/** Reads, verifies and hashes every file; sets each file's `sha256` (hex) and `headerSize`. */
export async function hashFiles(
  source: ZipSource,
  files: readonly FileEntry[],
  options: PassOptions = {},
): Promise<void> {
  const targets = [...files].sort((a, b) => a.offset - b.offset);
  const first = targets[0];
  const last = targets[targets.length - 1];
  if (first === undefined || last === undefined) return;
  const progress: PassProgress = {
    entriesDone: 0,
    entriesTotal: targets.length,
    bytesDone: 0,
    bytesTotal: last.limit - first.offset,
  };
  const jobs: Job[] = [];
  let inFlight = 0;
  const settle = (job: Job, sha256: Buffer) => {
    job.file.sha256 = sha256.toString('hex');
    job.file.headerSize = job.headerSize;
    progress.entriesDone += 1;
    progress.bytesDone =
      progress.entriesDone === progress.entriesTotal
        ? progress.bytesTotal
        : job.file.offset + job.headerSize + job.file.compressedSize - first.offset;
    options.onProgress?.(progress);
  };
  const settleOldest = async () => {
    const job = jobs.shift();
    if (job === undefined) return;
    inFlight -= job.cost;
    settle(job, await job.result);
  };
  const stream = source.stream(first.offset, last.limit);
  try {
    for await (const { target: file, compressed, headerSize } of sliceEntries(
      stream,
      first.offset,
      targets,
    )) {
      if (decodesInline(compressed, file) && file.size < SYNC_HASH_BYTES) {
        // Small entries (most of a site) are decoded and hashed here, without a promise: with nothing
        // older pending they settle at once, else they queue behind the older ones (order is kept).
        const sha256 = hash('sha256', decodeEntrySync(compressed, file), 'buffer');
        const done: Job = { file, headerSize, cost: 0, result: sha256 };
        if (jobs.length === 0) settle(done, sha256);
        else jobs.push(done);
        continue;
      }
      const cost = compressed.length + file.size;
      const result = decodeEntry(compressed, file).then(digest);
      // Awaited in order by settleOldest; this only keeps a failure from being reported as unhandled.
      result.catch(() => undefined);
      jobs.push({ file, headerSize, cost, result });
      inFlight += cost;
      while (jobs.length > 0 && (inFlight > WINDOW_BYTES || jobs.length > WINDOW_ENTRIES))
        await settleOldest();
    }
  } catch (error) {
    // An earlier entry's failure wins over a later one, so the reported entry is deterministic.
    while (jobs.length > 0) await settleOldest();
    throw error;
  } finally {
    stream.destroy();
  }
  while (jobs.length > 0) await settleOldest();
}
