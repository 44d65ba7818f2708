/**
 * The single sequential pass over the archive: one stream from the first kept entry to the end of the
 * last, cut into entries, each inflated, size- and CRC-checked and hashed (sha256). The work queue
 * ({@link PassQueue}) keeps a bounded window, so inflating and hashing (on libuv's thread pool, or the
 * hashing thread) overlap with reading while memory stays bounded by the window plus one entry.
 */
import type { FileEntry } from './entry-checks.js';
import { sliceEntries } from './entry-slicer.js';
import { PassQueue } from './pass-queue.js';
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
  /**
   * Decode and hash small entries on a second thread (when there are enough of them to repay its start).
   * Worth it only with a second core to run on.
   */
  hashThread?: boolean;
  /** Stops the pass (it rejects with the signal's reason). */
  signal?: AbortSignal;
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
  // Before the queue exists: it may start a thread, which only the finally below stops.
  options.signal?.throwIfAborted();
  const queue = new PassQueue(targets, options.hashThread === true, (file, headerSize, sha256) => {
    file.sha256 = sha256.toString('hex');
    file.headerSize = headerSize;
    progress.entriesDone += 1;
    progress.bytesDone =
      progress.entriesDone === progress.entriesTotal
        ? progress.bytesTotal
        : file.offset + headerSize + file.compressedSize - first.offset;
    options.onProgress?.(progress);
  });
  const stream = source.stream(first.offset, last.limit);
  const stop = () => stream.destroy(options.signal?.reason);
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    try {
      for await (const { target, compressed, headerSize } of sliceEntries(stream, first.offset, targets)) {
        await queue.add(target, compressed, headerSize);
      }
    } catch (error) {
      // An earlier entry's failure wins over a later one, so the reported entry is deterministic.
      await queue.drain();
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', stop);
      stream.destroy();
    }
    await queue.drain();
  } finally {
    queue.close();
  }
}
