/**
 * The pass's work queue: entries are settled (their `sha256` and `headerSize` set) strictly in archive
 * order, whichever way their digest is made:
 * - small entries inline on the main thread, or in batches shared with the hashing thread;
 * - larger ones inflated and hashed on libuv's thread pool.
 * The queue bounds what is in flight (bytes, thread-pool entries, queued entries), so memory stays bounded
 * whatever the archive holds.
 */
import { hash, webcrypto } from 'node:crypto';
import type { FileEntry } from './entry-checks.js';
import { decodeEntry, decodeEntrySync, decodesInline, inflateChunkSize } from './entry-decoder.js';
import { HashThread, type SmallEntry, type ThreadSlot } from './hash-thread.js';

/** Compressed + uncompressed bytes of the entries being worked on at once (at least one entry). */
const WINDOW_BYTES = 16 * 1024 * 1024;
/** Entries being worked on at once by the thread pool. */
const WINDOW_POOLED = 32;
/** Entries queued at once, whatever they wait for (most wait on the hashing thread). */
const WINDOW_QUEUED = 512;
/** Below this size, hashing on the main thread beats a thread-pool round trip. */
const SYNC_HASH_BYTES = 1024 * 1024;
/** Small entries needed before a hashing thread repays its start (~30 ms, off the main thread). */
const MIN_THREAD_ENTRIES = 1000;
/**
 * The share of the content small entries must hold for a hashing thread. Large entries already keep a
 * second core busy on the thread pool; with a thread as well, a 5,000-file site (63% small) and a 1 GB
 * archive (19% small) were no faster and took 35 MiB more memory.
 */
const MIN_THREAD_SHARE = 0.9;

/** A small entry handed to the hashing thread. */
interface ThreadEntry extends SmallEntry {
  file: FileEntry;
}

/** How a queued entry's digest arrives. */
type Pending =
  | { kind: 'done'; sha256: Buffer }
  | { kind: 'pool'; promise: Promise<Buffer> }
  | { kind: 'thread'; slot: ThreadSlot; entry: ThreadEntry };

interface Job {
  file: FileEntry;
  headerSize: number;
  /** Bytes it holds while queued (compressed + content), for the window. */
  cost: number;
  pending: Pending;
}

/** Small entries (most of a site): decoded and hashed without the thread pool. */
const isSmall = (file: FileEntry): boolean => decodesInline(file) && file.size < SYNC_HASH_BYTES;

/** True when small entries are numerous and hold nearly all the content (see {@link MIN_THREAD_SHARE}). */
function smallEnough(targets: readonly FileEntry[]): boolean {
  let count = 0;
  let smallBytes = 0;
  let totalBytes = 0;
  for (const file of targets) {
    totalBytes += file.size;
    if (!isSmall(file)) continue;
    count += 1;
    smallBytes += file.size;
  }
  return count >= MIN_THREAD_ENTRIES && smallBytes >= MIN_THREAD_SHARE * totalBytes;
}

/** Decodes and hashes on this thread; throws the entry's categorized error. */
const hashHere = (compressed: Buffer, file: FileEntry): Buffer =>
  hash('sha256', decodeEntrySync(compressed, file), 'buffer');

/** sha256 of `content` as 32 raw bytes (large contents on the thread pool). */
async function digest(content: Buffer): Promise<Buffer> {
  if (content.length < SYNC_HASH_BYTES) return hash('sha256', content, 'buffer');
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', content));
}

export class PassQueue {
  private readonly jobs: Job[] = [];
  private readonly thread: HashThread<ThreadEntry> | undefined;
  private inFlight = 0;
  private pooled = 0;

  /**
   * `settle` is called for each entry in order. With `hashThread`, a thread is started when `targets`
   * are mostly small entries, enough of them to repay it.
   */
  constructor(
    targets: readonly FileEntry[],
    hashThread: boolean,
    private readonly settle: (file: FileEntry, headerSize: number, sha256: Buffer) => void,
  ) {
    this.thread =
      hashThread && smallEnough(targets)
        ? HashThread.start<ThreadEntry>((entry) => hashHere(entry.compressed, entry.file))
        : undefined;
  }

  /** Starts an entry's work; waits while the window is full. */
  async add(file: FileEntry, compressed: Buffer, headerSize: number): Promise<void> {
    const cost = compressed.length + file.size;
    const small = isSmall(file);
    if (small && this.thread?.alive === true) {
      const entry: ThreadEntry = {
        method: file.method,
        size: file.size,
        crc32: file.crc32,
        chunkSize: inflateChunkSize(file.size),
        compressed,
        file,
      };
      this.enqueue({
        file,
        headerSize,
        cost,
        pending: { kind: 'thread', slot: this.thread.submit(entry), entry },
      });
    } else if (small) {
      // Decoded and hashed now, without a promise: with nothing older pending it settles at once, else it
      // queues behind the older ones (order is kept).
      const sha256 = hashHere(compressed, file);
      if (this.jobs.length === 0) this.settle(file, headerSize, sha256);
      else this.enqueue({ file, headerSize, cost: 0, pending: { kind: 'done', sha256 } });
      return;
    } else {
      const promise = decodeEntry(compressed, file).then(digest);
      // Awaited in order when settled; this only keeps a failure from being reported as unhandled.
      promise.catch(() => undefined);
      this.enqueue({ file, headerSize, cost, pending: { kind: 'pool', promise } });
    }
    while (
      this.jobs.length > 0 &&
      (this.inFlight > WINDOW_BYTES || this.pooled > WINDOW_POOLED || this.jobs.length > WINDOW_QUEUED)
    )
      await this.settleOldest();
  }

  /** Settles everything queued, in order; the first failure is thrown. */
  async drain(): Promise<void> {
    while (this.jobs.length > 0) await this.settleOldest();
  }

  /** Stops the hashing thread. */
  close(): void {
    this.thread?.close();
  }

  private enqueue(job: Job): void {
    this.jobs.push(job);
    this.inFlight += job.cost;
    if (job.pending.kind === 'pool') this.pooled += 1;
  }

  private async settleOldest(): Promise<void> {
    const job = this.jobs.shift();
    if (job === undefined) return;
    this.inFlight -= job.cost;
    if (job.pending.kind === 'pool') this.pooled -= 1;
    this.settle(job.file, job.headerSize, await this.digestOf(job.pending));
  }

  private async digestOf(pending: Pending): Promise<Buffer> {
    if (pending.kind === 'done') return pending.sha256;
    if (pending.kind === 'pool') return pending.promise;
    // Not verified by the thread (or the thread died): decoding here throws the categorized error.
    const { slot, entry } = pending;
    return (await this.thread?.digest(slot)) ?? hashHere(entry.compressed, entry.file);
  }
}
