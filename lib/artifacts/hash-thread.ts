/**
 * A second thread for the sequential pass. Small entries are gathered into batches; each full batch goes
 * to the thread while the thread has little queued, and is otherwise decoded and hashed at once on the main
 * thread. The thread counts finished batches in shared memory, so the main thread knows its backlog without
 * waiting for replies, and the two threads share the work whatever their speeds. Compressed bytes travel
 * once (copied into a transferred buffer); digests come back in one transferred buffer per batch.
 *
 * The thread only accelerates. It marks an entry it cannot verify as failed without saying why, and the
 * pass then decodes that entry on the main thread, which raises the categorized error it always raised.
 * If the thread dies, its batches are marked failed the same way, so nothing is lost.
 *
 * Its code is a source string evaluated by the Worker, using only `node:` built-ins: the functions are
 * bundled into one file per handler, and a second entry point would need a bundle of its own.
 */
import { Worker } from 'node:worker_threads';

/** What the thread needs to verify one small entry (its local header is already checked). */
export interface SmallEntry {
  method: number;
  size: number;
  crc32: number;
  /** Output chunk size for inflate (the decoder's choice for this size). */
  chunkSize: number;
  compressed: Buffer;
}

/** Where one submitted entry's digest will be. */
export interface ThreadSlot {
  readonly batch: Batch;
  readonly index: number;
}

/** Fields per entry in a batch's metadata. */
const META_FIELDS = 5;
/** A batch is full at this many compressed bytes or entries. */
const BATCH_BYTES = 256 * 1024;
const BATCH_ENTRIES = 64;
/** Batches the thread may have queued before the main thread does the next one itself. */
const BACKLOG_BATCHES = 4;
const SHA256_BYTES = 32;

/** Per entry: inflate (capped at size + 1), check the consumed length, size and CRC-32, then hash. */
const THREAD_SOURCE = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { inflateRawSync, crc32 } = require('node:zlib');
const { hash } = require('node:crypto');
const finished = new Int32Array(workerData.finished);
parentPort.on('message', ({ id, meta, bytes }) => {
  const count = meta.length / ${META_FIELDS};
  const digests = Buffer.allocUnsafeSlow(count * ${SHA256_BYTES});
  const failed = new Uint8Array(count);
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  for (let index = 0; index < count; index += 1) {
    const field = index * ${META_FIELDS};
    const [method, size, crc, length, chunkSize] = meta.subarray(field, field + ${META_FIELDS});
    const compressed = input.subarray(at, at + length);
    at += length;
    try {
      let content = compressed;
      if (method === 8) {
        const result = inflateRawSync(compressed, { maxOutputLength: size + 1, chunkSize, info: true });
        content = result.engine.bytesWritten === length ? result.buffer : undefined;
      }
      if (content === undefined || content.length !== size || crc32(content) >>> 0 !== crc) failed[index] = 1;
      else digests.set(hash('sha256', content, 'buffer'), index * ${SHA256_BYTES});
    } catch {
      failed[index] = 1;
    }
  }
  Atomics.add(finished, 0, 1);
  parentPort.postMessage({ id, digests, failed }, [digests.buffer, failed.buffer]);
});
`;

/** Entries done together; `digests`/`failed` are set when they are done (here or on the thread). */
class Batch {
  readonly entries: SmallEntry[] = [];
  bytes = 0;
  digests: Uint8Array | undefined;
  failed: Uint8Array | undefined;
  /** On the thread: `done` settles when it replies or dies. */
  sent = false;
  readonly done: Promise<void>;
  finish!: () => void;

  constructor(readonly id: number) {
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
  }
}

/** The hashing thread of one pass; {@link close} it when the pass ends. */
export class HashThread<E extends SmallEntry> {
  private readonly worker: Worker;
  /** Batches the thread has finished (it counts them; read here without waiting for the reply). */
  private readonly finished = new Int32Array(new SharedArrayBuffer(4));
  private filling: Batch | undefined;
  private readonly inFlight = new Map<number, Batch>();
  private sent = 0;
  private doneHere = 0;
  private nextId = 0;
  private dead = false;

  private constructor(private readonly hashHere: (entry: E) => Buffer) {
    // No inherited execArgv: the thread needs no loader hooks or flags of the process.
    this.worker = new Worker(THREAD_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { finished: this.finished.buffer },
    });
    this.worker.on('message', (reply: { id: number; digests: Uint8Array; failed: Uint8Array }) => {
      const batch = this.inFlight.get(reply.id);
      if (batch === undefined) return;
      this.inFlight.delete(reply.id);
      complete(batch, reply.digests, reply.failed);
    });
    const die = () => this.abandon();
    this.worker.on('error', die);
    this.worker.on('messageerror', die);
    this.worker.on('exit', die);
  }

  /**
   * Starts a thread, or returns undefined when the runtime cannot start one. `hashHere` decodes and
   * hashes an entry on this thread, throwing when the entry is bad.
   */
  static start<E extends SmallEntry>(hashHere: (entry: E) => Buffer): HashThread<E> | undefined {
    try {
      return new HashThread(hashHere);
    } catch {
      return undefined;
    }
  }

  /** Batches sent to the thread and batches done on the main thread so far. */
  get batches(): { thread: number; here: number } {
    return { thread: this.sent, here: this.doneHere };
  }

  /** False once the thread has died; the pass then decodes everything on the main thread. */
  get alive(): boolean {
    return !this.dead;
  }

  /** Adds one entry to the batch being filled; a full batch goes to the thread or is done here. */
  submit(entry: E): ThreadSlot {
    let batch = this.filling;
    if (batch === undefined) {
      batch = new Batch(this.nextId++);
      this.filling = batch;
    }
    const index = batch.entries.length;
    batch.entries.push(entry);
    batch.bytes += entry.compressed.length;
    if (batch.bytes >= BATCH_BYTES || batch.entries.length >= BATCH_ENTRIES) {
      this.filling = undefined;
      const backlog = this.sent - Atomics.load(this.finished, 0);
      if (!this.dead && backlog < BACKLOG_BATCHES) this.send(batch);
      else this.runHere(batch);
    }
    return { batch, index };
  }

  /** The slot's sha256 (32 raw bytes), or undefined when the entry could not be verified. */
  async digest(slot: ThreadSlot): Promise<Buffer | undefined> {
    const { batch, index } = slot;
    if (batch.digests === undefined && !batch.sent) {
      // The batch being filled, needed now: done here rather than waiting for more entries.
      this.filling = undefined;
      this.runHere(batch);
    }
    await batch.done;
    if (batch.digests === undefined || batch.failed?.[index] !== 0) return undefined;
    const { buffer, byteOffset } = batch.digests;
    return Buffer.from(buffer, byteOffset + index * SHA256_BYTES, SHA256_BYTES);
  }

  /** Stops the thread; batches it had are marked failed (and so decoded again on the main thread). */
  close(): void {
    this.abandon();
    void this.worker.terminate();
  }

  private send(batch: Batch): void {
    batch.sent = true;
    const meta = new Uint32Array(batch.entries.length * META_FIELDS);
    const bytes = Buffer.allocUnsafeSlow(batch.bytes);
    let at = 0;
    batch.entries.forEach((entry, index) => {
      meta.set(
        [entry.method, entry.size, entry.crc32, entry.compressed.length, entry.chunkSize],
        index * META_FIELDS,
      );
      at += entry.compressed.copy(bytes, at);
    });
    batch.entries.length = 0;
    this.inFlight.set(batch.id, batch);
    this.sent += 1;
    this.worker.postMessage({ id: batch.id, meta, bytes }, [bytes.buffer, meta.buffer]);
  }

  /** Does `batch` on this thread; an entry that fails is marked, to be decoded again when it is settled. */
  private runHere(batch: Batch): void {
    const digests = Buffer.allocUnsafe(batch.entries.length * SHA256_BYTES);
    const failed = new Uint8Array(batch.entries.length);
    batch.entries.forEach((entry, index) => {
      try {
        digests.set(this.hashHere(entry as E), index * SHA256_BYTES);
      } catch {
        failed[index] = 1;
      }
    });
    batch.entries.length = 0;
    this.doneHere += 1;
    complete(batch, digests, failed);
  }

  private abandon(): void {
    this.dead = true;
    for (const batch of this.inFlight.values()) batch.finish();
    this.inFlight.clear();
  }
}

function complete(batch: Batch, digests: Uint8Array, failed: Uint8Array): void {
  batch.digests = digests;
  batch.failed = failed;
  batch.finish();
}
